package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConfigurationTest {
  @Test
  void configurationsExportToTheirOwnReceiverPath() {
    assertThat(Configuration.SERVO_100PCT.environment("http://127.0.0.1:1/c/v1/traces"))
        .containsEntry("SERVO_TRACE_ENABLED", "true")
        .containsEntry("SERVO_TRACE_SAMPLE_RATE", "1.0")
        .containsEntry("SERVO_TRACE_ENDPOINT", "http://127.0.0.1:1/c/v1/traces")
        .doesNotContainKey("OTEL_TRACES_SAMPLER");
    assertThat(Configuration.AGENT_1PCT.environment("http://127.0.0.1:1/e/v1/traces"))
        .containsEntry("SERVO_TRACE_ENABLED", "false")
        .containsEntry("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
        .containsEntry("OTEL_TRACES_SAMPLER_ARG", "0.01")
        .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .containsEntry("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/e/v1/traces")
        .containsEntry("OTEL_METRICS_EXPORTER", "none")
        .containsEntry("OTEL_LOGS_EXPORTER", "none");
  }

  @Test
  void theControlIsTracingDisabledAgainAndEveryLabelNamesOneConfiguration() {
    assertThat(Configuration.DISABLED_CONTROL.environment("http://127.0.0.1:1/a2/v1/traces"))
        .isEqualTo(Configuration.DISABLED.environment("http://127.0.0.1:1/a2/v1/traces"));
    for (Configuration c : Configuration.values()) {
      assertThat(Configuration.byLabel(c.label())).contains(c);
    }
    assertThat(Configuration.byLabel("f")).isEmpty();
    assertThat(Configuration.byLabel("A")).isEmpty();
  }
}
