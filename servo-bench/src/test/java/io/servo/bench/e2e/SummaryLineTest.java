package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryLineTest {
  @Test
  void oneLineWithLossesAgainstTheBaselineAndAbsoluteColdStarts() {
    List<EndToEndBenchmark.Figures> figures = new ArrayList<>();
    double[] ratios = {1.0, 0.995, 0.96, 0.90, 0.97};
    long[] coldStarts = {1_000_000_000L, 1_050_000_000L, 1_060_400_000L, 3_500_600_000L, 3_400_000_000L};
    for (Configuration c : Configuration.values()) {
      RatioEstimate ratio = new RatioEstimate(ratios[c.ordinal()], 0.01, 4);
      figures.add(new EndToEndBenchmark.Figures(c, 50, ratio, 0, 0, 0, ratio, 0, ratio, 0, 0,
          coldStarts[c.ordinal()], 100, 0, 0.5));
    }

    assertThat(EndToEndBenchmark.summaryLine(figures)).isEqualTo(
        "overhead_1pct=0.5% overhead_100pct=4.0% agent_overhead_1pct=3.0% agent_overhead_100pct=10.0% "
            + "coldstart_tracing_ms=1060 coldstart_agent_ms=3501");
  }

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
}
