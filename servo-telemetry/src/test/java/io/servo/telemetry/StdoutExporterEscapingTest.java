package io.servo.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.servo.telemetry.config.TracingConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stdout exporter: a short line per span a person can read, details indented below, and
 * OTLP/JSON lines for programs (the default beside JSON logs). Its output is read line by line
 * (Cloud Run turns each line into a log entry): a span name, attribute or status made from request
 * data must not break its line.
 */
class StdoutExporterEscapingTest {
  private static final String FORGED = "2026-01-01 00:00:00.000 SPAN  1.0 ms SERVER servo-worker forged OK";
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  private ServoTelemetry printing(String... variables) {
    Map<String, String> env = new HashMap<>(Map.of("SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_EXPORTER", "stdout"));
    for (int i = 0; i < variables.length; i += 2) {
      env.put(variables[i], variables[i + 1]);
    }
    return ServoTelemetry.builder(TracingConfig.from(env), "servo-worker")
        .stdout(new PrintStream(bytes, true, StandardCharsets.UTF_8))
        .start();
  }

  private List<String> lines() {
    return bytes.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void aSpanIsAShortLineWithStartDurationKindServiceNameAndStatusThenItsDetails() {
    ServoTelemetry telemetry = printing();
    Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("POST /execute").setSpanKind(SpanKind.SERVER)
        .setAttribute("http.request.method", "POST").setAttribute("http.response.status_code", 200L).startSpan();
    span.end();
    telemetry.shutdown(Duration.ofSeconds(5));

    List<String> lines = lines();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} SPAN +\\d+\\.\\d ms SERVER   "
        + "servo-worker  POST /execute  OK");
    assertThat(lines.get(1)).isEqualTo("    trace_id=" + span.getSpanContext().getTraceId()
        + " span_id=" + span.getSpanContext().getSpanId() + " parent_id=-");
    assertThat(lines.get(2)).isEqualTo("    http.request.method=POST  http.response.status_code=200");
  }

  @Test
  void everyPartOfASpanStaysOnItsLine() {
    ServoTelemetry telemetry = printing();

    Span span = telemetry.openTelemetry().getTracer("t")
        .spanBuilder("SELECT \"a\u2028" + FORGED + "\"").startSpan();
    span.setAttribute("user_agent.original", "curl\u0085" + FORGED + "\u001b[2J");
    span.setAttribute("servo.asset.name", "a\r\n" + FORGED);
    span.setStatus(StatusCode.ERROR, "failed\u000b" + FORGED);
    span.end();
    telemetry.shutdown(Duration.ofSeconds(5));

    String output = String.join("\n", lines());
    assertThat(lines().get(0)).contains(" INTERNAL servo-worker  SELECT \"a\\u2028" + FORGED + "\"  ERROR failed\\u000b" + FORGED);
    assertThat(lines()).filteredOn(l -> !l.startsWith("    ")).hasSize(1);
    assertThat(output).contains("servo.asset.name=a\\r\\n" + FORGED, "user_agent.original=curl\\u0085")
        .doesNotContainPattern("[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029]");
  }

  @Test
  void eventsFollowTheirSpanOneALine() {
    ServoTelemetry telemetry = printing();

    Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("worker.execute_asset").startSpan();
    span.setStatus(StatusCode.ERROR, "exit code 3");
    span.addEvent("exception", Attributes.of(
        AttributeKey.stringKey("exception.type"), "io.servo.asset.CommandFailed",
        AttributeKey.stringKey("exception.message"), "exit code 3: no\n" + FORGED));
    span.end();
    telemetry.shutdown(Duration.ofSeconds(5));

    assertThat(lines()).filteredOn(l -> !l.startsWith("    ")).singleElement().asString()
        .endsWith("worker.execute_asset  ERROR exit code 3");
    // A long event wraps, indented deeper.
    assertThat(lines().subList(2, lines().size())).containsExactly(
        "    event exception: exception.message=exit code 3: no\\n" + FORGED,
        "        exception.type=io.servo.asset.CommandFailed");
  }

  @Test
  void otlpJsonIsOneExportRequestPerSpanPerLineAndTheDefaultBesideJsonLogs() {
    ServoTelemetry telemetry = printing("SERVO_LOG_FORMAT", "json");
    Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("worker.execute_workflow\n" + FORGED).startSpan();
    span.end();
    telemetry.shutdown(Duration.ofSeconds(5));

    assertThat(lines()).singleElement().asString()
        .startsWith("{\"resourceSpans\":[{\"resource\":{\"attributes\":[")
        .contains("\"traceId\":\"" + span.getSpanContext().getTraceId() + "\"", "\"name\":\"worker.execute_workflow");
  }

  @Test
  void textFormatCanBeChosenBesideJsonLogs() {
    ServoTelemetry telemetry = printing("SERVO_LOG_FORMAT", "json", "SERVO_TRACE_STDOUT_FORMAT", "text");
    telemetry.openTelemetry().getTracer("t").spanBuilder("a").startSpan().end();
    telemetry.shutdown(Duration.ofSeconds(5));

    assertThat(lines().get(0)).contains(" SPAN ");
  }
}
