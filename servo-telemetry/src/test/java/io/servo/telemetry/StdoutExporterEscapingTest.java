package io.servo.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.servo.telemetry.config.TracingConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stdout exporter's output is read line by line (Cloud Run turns each line into a log entry):
 * a span name, attribute or status made from request data must not break its line.
 */
class StdoutExporterEscapingTest {
  private static final String FORGED = "span forged service=servo-worker kind=SERVER trace_id=0";

  private static ServoTelemetry printingTo(ByteArrayOutputStream bytes) {
    return ServoTelemetry.builder(TracingConfig.from(Map.of(
            "SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_EXPORTER", "stdout")), "servo-worker")
        .stdout(new PrintStream(bytes, true, StandardCharsets.UTF_8))
        .start();
  }

  @Test
  void everyPartOfASpanStaysOnItsLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ServoTelemetry telemetry = printingTo(bytes);

    Span span = telemetry.openTelemetry().getTracer("t")
        .spanBuilder("SELECT \"a\u2028" + FORGED + "\"").startSpan();
    span.setAttribute("user_agent.original", "curl\u0085" + FORGED + "\u001b[2J");
    span.setAttribute("servo.asset.name", "a\r\n" + FORGED);
    span.setStatus(StatusCode.ERROR, "failed\u000b" + FORGED);
    span.end();
    telemetry.shutdown(Duration.ofSeconds(5));

    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).startsWith("span SELECT \"a\\u2028" + FORGED + "\" service=servo-worker")
        .contains("user_agent.original=curl\\u0085" + FORGED + "\\u001b[2J")
        .contains("servo.asset.name=a\\r\\n" + FORGED)
        .contains("error=\"failed\\u000b" + FORGED + "\"")
        .doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]");
  }

  @Test
  void eventsFollowTheirSpanOneALine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ServoTelemetry telemetry = printingTo(bytes);

    Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("worker.execute_asset").startSpan();
    span.setStatus(StatusCode.ERROR, "exit code 3");
    span.addEvent("exception", io.opentelemetry.api.common.Attributes.of(
        io.opentelemetry.api.common.AttributeKey.stringKey("exception.type"), "io.servo.asset.CommandFailed",
        io.opentelemetry.api.common.AttributeKey.stringKey("exception.message"), "exit code 3: no\n" + FORGED));
    span.end();
    telemetry.shutdown(Duration.ofSeconds(5));

    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("span worker.execute_asset ");
    assertThat(lines.get(1)).isEqualTo("  event exception attributes={exception.message=exit code 3: no\\n" + FORGED
        + ", exception.type=io.servo.asset.CommandFailed}");
  }
}
