package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.telemetry.config.TracingConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalTracingTest {

  @Test
  void devTracesEveryExecutionWhenNothingIsSet() {
    TracingConfig config = LocalTracing.dev(TracingConfig.from(Map.of("SERVO_ENVIRONMENT", "production")));

    assertThat(LocalTracing.describe(config)).isEqualTo("on (parentbased_traceidratio 1.0)");
    assertThat(config.exporter().id()).isEqualTo("none");
  }

  @Test
  void devKeepsAnExplicitRateOrSampler() {
    assertThat(LocalTracing.describe(LocalTracing.dev(TracingConfig.from(Map.of("SERVO_TRACE_SAMPLE_RATE", "0.1")))))
        .isEqualTo("on (parentbased_traceidratio 0.1)");
    assertThat(LocalTracing.describe(LocalTracing.dev(TracingConfig.from(Map.of("OTEL_TRACES_SAMPLER", "always_off")))))
        .isEqualTo("on (always_off)");
  }

  @Test
  void devIsOffWhenTurnedOff() {
    assertThat(LocalTracing.describe(LocalTracing.dev(TracingConfig.from(Map.of("SERVO_TRACE_ENABLED", "false")))))
        .isEqualTo("off");
    assertThat(LocalTracing.describe(LocalTracing.dev(TracingConfig.from(Map.of("OTEL_SDK_DISABLED", "true")))))
        .isEqualTo("off");
  }

  @Test
  void demoTracesEveryExecutionAndSaysWhenThatOverridesTheEnvironment() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TracingConfig config = LocalTracing.demo(
        TracingConfig.from(Map.of("SERVO_TRACE_SAMPLE_RATE", "0.1", "SERVO_TRACE_ENABLED", "false")),
        new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(LocalTracing.describe(config)).isEqualTo("on (parentbased_traceidratio 1.0)");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains(
        "servo demo: tracing is on to show the execution's trace;"
            + " SERVO_TRACE_ENABLED=false / OTEL_SDK_DISABLED=true do not apply to the demo",
        "servo demo: every execution is traced (parentbased_traceidratio 1.0);"
            + " the configured sampler (parentbased_traceidratio 0.1) does not apply to the demo");
  }

  @Test
  void demoSaysNothingWhenNothingIsOverridden() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LocalTracing.demo(TracingConfig.from(Map.of()), new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
