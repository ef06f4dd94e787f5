package io.servo.core.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvReferencesTest {
  @Test
  void resolvesEveryReference() {
    Map<String, String> env = Map.of("A", "x$1\\y", "B", "2");
    assertThat(EnvReferences.resolve("Bearer ${env:A}/${env:B}", env::get)).isEqualTo("Bearer x$1\\y/2");
    assertThat(EnvReferences.resolve("plain", env::get)).isEqualTo("plain");
  }

  @Test
  void aMissingVariableIsNamedNotGuessed() {
    assertThatThrownBy(() -> EnvReferences.resolve("${env:NOPE}", k -> null))
        .hasMessage("environment variable NOPE is not set on the worker (referenced as ${env:NOPE})");
  }
}
