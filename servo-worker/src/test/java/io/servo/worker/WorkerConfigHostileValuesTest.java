package io.servo.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.SettingsException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whatever a variable holds, start-up fails with a {@link SettingsException} whose message
 * stays on one line (it is printed as `servo: …` and logged) and never shows a password.
 */
class WorkerConfigHostileValuesTest {
  private static final String FORGED = "\n2026-11-25 10:00:00.000 ERROR [main] io.servo.Forged - forged\u001b[2J";

  private static Map<String, String> env(String name, String value) {
    Map<String, String> env = new HashMap<>();
    env.put(name, value);
    return env;
  }

  @ParameterizedTest
  @ValueSource(strings = {"PORT", "SERVO_ENVIRONMENT", "SERVO_DATABASE_URL", "SERVO_WAREHOUSE_URL",
      "SERVO_WORKER_THREADS", "SERVO_MAX_BODY_BYTES", "SERVO_EXECUTION_LEASE", "SERVO_WORKDIR", "SERVO_OIDC_ENABLED",
      "SERVO_OIDC_ISSUER", "SERVO_OIDC_JWKS_URL", "SERVO_OIDC_ALLOWED_EMAILS", "SERVO_RATE_LIMIT_PER_TENANT"})
  void aRejectedValueIsQuotedOnOneLine(String variable) {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(env(variable, "bad" + FORGED)))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining(variable + " has invalid ")
        .hasMessageContaining("'bad\\n2026-11-25 10:00:00.000 ERROR [main] io.servo.Forged - forged\\u001b[2J")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]"));
  }

  /** Before: Path.of threw InvalidPathException, which no caller expects. */
  @ParameterizedTest
  @ValueSource(strings = {"dir\u0000name", "\u0000x"})
  void aWorkdirThatIsNoPathIsAConfigurationError(String value) {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(env("SERVO_WORKDIR", value)))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("the worker cannot start: SERVO_WORKDIR has invalid value '");
  }

  /** Before: a control character passed as "set" and OidcConfig threw IllegalArgumentException. */
  @ParameterizedTest
  @ValueSource(strings = {"\u0000", "\u0001 ", "\t\u000b"})
  void aValueOfOnlyControlCharactersCountsAsUnset(String value) {
    Map<String, String> env = env("SERVO_OIDC_AUDIENCE", value);
    env.put("SERVO_OIDC_ENABLED", "true");
    env.put("SERVO_OIDC_ALLOWED_EMAILS", "a@b.com");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(env))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_OIDC_AUDIENCE is not set");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "SERVO_DATABASE_URL | postgres://servo:hunter2@db/servo",
      "SERVO_DATABASE_URL | servo:hunter2@db/servo",
      "SERVO_WAREHOUSE_URL | postgresql://db/wh?user=u&password=hunter2",
      "SERVO_OIDC_ISSUER | servo:hunter2@accounts.google.com",
      "SERVO_OIDC_ISSUER | https://servo:hunter2@accounts.google.com",
      "SERVO_OIDC_JWKS_URL | https://servo:hunter2@www.googleapis.com/certs",
      "SERVO_OIDC_JWKS_URL | ftp://keys/certs?token=hunter2",
  })
  void aRejectedUrlNeverShowsItsPassword(String variable, String value) {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(env(variable, value)))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining(variable + " has invalid value '")
        .hasMessageNotContaining("hunter2");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "SERVO_WAREHOUSE_URL | jdbc:postgresql://servo:hunter2@db/wh",
      "SERVO_WAREHOUSE_URL | jdbc:postgresql://db/wh?password=hunter2",
      "SERVO_DATABASE_URL | jdbc:sqlite:/tmp/x.db?x=\u001b[2J",
  })
  void anAcceptedValueIsShownWithoutPasswordsOrControlCharacters(String variable, String value) {
    String shown = WorkerConfig.fromEnvironment(env(variable, value)).toString();
    assertThat(shown).doesNotContain("hunter2").doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]");
  }
}
