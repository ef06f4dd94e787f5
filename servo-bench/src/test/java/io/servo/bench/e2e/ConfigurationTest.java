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
  void headSamplingAloneTurnsRetroactiveKeepOffAndTheKeepConfigurationKeepsErrors() {
    assertThat(Configuration.SERVO_1PCT.environment("http://127.0.0.1:1/b/v1/traces"))
        .containsEntry("SERVO_TRACE_ENABLED", "true")
        .containsEntry("SERVO_TRACE_SAMPLE_RATE", "0.01")
        .containsEntry("SERVO_TRACE_KEEP", "none");
    assertThat(Configuration.SERVO_1PCT_KEEP.environment("http://127.0.0.1:1/bk/v1/traces"))
        .containsEntry("SERVO_TRACE_ENABLED", "true")
        .containsEntry("SERVO_TRACE_SAMPLE_RATE", "0.01")
        .containsEntry("SERVO_TRACE_KEEP", "errors")
        .containsEntry("SERVO_TRACE_ENDPOINT", "http://127.0.0.1:1/bk/v1/traces")
        .as("every failure kept: the worst case's cost").containsEntry("SERVO_TRACE_KEEP_PER_MINUTE", "1000000")
        .doesNotContainKeys("SERVO_TRACE_KEEP_SLOWER_THAN", "SERVO_TRACE_KEEP_BUFFER_BYTES", "OTEL_TRACES_SAMPLER");
    assertThat(Configuration.SERVO_1PCT_KEEP.label()).isEqualTo("bk");
    assertThat(Configuration.SERVO_1PCT_KEEP).hasToString("(bk) Servo tracing, rate 0.01, keep errors");
    // (c) keeps the services' default; the others do not trace with Servo at all.
    for (Configuration c : new Configuration[] {Configuration.DISABLED, Configuration.DISABLED_CONTROL,
        Configuration.SERVO_100PCT, Configuration.AGENT_100PCT, Configuration.AGENT_1PCT}) {
      assertThat(c.environment("http://127.0.0.1:1/x/v1/traces")).as(c.toString()).doesNotContainKey("SERVO_TRACE_KEEP");
    }
  }

  @Test
  void theControlIsTracingDisabledAgainAndEveryLabelNamesOneConfiguration() {
    assertThat(Configuration.DISABLED_CONTROL.environment("http://127.0.0.1:1/a2/v1/traces"))
        .isEqualTo(Configuration.DISABLED.environment("http://127.0.0.1:1/a2/v1/traces"));
    for (Configuration c : Configuration.values()) {
      assertThat(Configuration.byLabel(c.label())).contains(c);
    }
    assertThat(Configuration.byLabel("bk")).contains(Configuration.SERVO_1PCT_KEEP);
    assertThat(Configuration.byLabel("f")).isEmpty();
    assertThat(Configuration.byLabel("A")).isEmpty();
  }

  @Test
  void headSamplingsSecondJvmIsHeadSamplingAgainAndRunsOnlyWhenNamed() {
    assertThat(Configuration.SERVO_1PCT_SECOND.environment("http://127.0.0.1:1/b2/v1/traces"))
        .isEqualTo(Configuration.SERVO_1PCT.environment("http://127.0.0.1:1/b2/v1/traces"));
    assertThat(Configuration.byLabels("a2,b,b2")).contains(java.util.EnumSet.of(Configuration.DISABLED_CONTROL,
        Configuration.SERVO_1PCT, Configuration.SERVO_1PCT_SECOND));
    assertThat(Configuration.defaults()).doesNotContain(Configuration.SERVO_1PCT_SECOND)
        .hasSize(Configuration.values().length - 1);
  }

  @Test
  void labelsSeparatedByCommasNameConfigurationsAndAnUnknownOneNamesNone() {
    assertThat(Configuration.byLabels("a2,b")).contains(
        java.util.EnumSet.of(Configuration.DISABLED_CONTROL, Configuration.SERVO_1PCT));
    assertThat(Configuration.byLabels(" bk , c ")).contains(
        java.util.EnumSet.of(Configuration.SERVO_1PCT_KEEP, Configuration.SERVO_100PCT));
    assertThat(Configuration.byLabels("b,x")).isEmpty();
    assertThat(Configuration.byLabels("")).isEmpty();
    assertThat(Configuration.byLabels("b,")).isEmpty();
  }
}
