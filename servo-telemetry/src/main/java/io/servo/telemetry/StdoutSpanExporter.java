package io.servo.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.telemetry.config.StdoutSpanFormat;
import io.servo.telemetry.redaction.ControlCharacters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Writes each span as it ends, in one of two formats ({@link StdoutSpanFormat}).
 *
 * <p>{@code text}, for a person, in the text log format's columns (time, then {@code SPAN} where a
 * log line has its level):
 *
 * <pre>
 * 2026-12-07 13:33:40.515 SPAN    48.2 ms SERVER   servo-worker  POST /execute  OK
 *     trace_id=… span_id=… parent_id=…
 *     http.request.method=POST  http.response.status_code=200  servo.execution.id=…
 *     event exception: exception.message=…  exception.type=…
 * </pre>
 *
 * Nothing from a span can start a line: names, values and descriptions are written with
 * {@link ControlCharacters}. {@code otlp-json}: one OTLP/JSON {@code ExportTraceServiceRequest}
 * per span per line, for programs and beside JSON logs (with the OpenTelemetry exporter's own
 * marshaller, so the lines are what an OTLP/HTTP JSON receiver accepts).
 */
final class StdoutSpanExporter implements SpanExporter {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final String INDENT = "    ";
  /** Details wrap after this many characters, so no line is much wider than a terminal. */
  private static final int DETAIL_WIDTH = 100;
  /** A longer value (a SQL text, a URL) is cut: the text format is for reading, otlp-json has it whole. */
  private static final int MAX_VALUE_CHARS = 160;

  private final PrintStream out;
  private final StdoutSpanFormat format;

  StdoutSpanExporter(PrintStream out, StdoutSpanFormat format) {
    this.out = out;
    this.format = format;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    String lines;
    if (format == StdoutSpanFormat.OTLP_JSON) {
      ByteArrayOutputStream json = new ByteArrayOutputStream();
      try {
        for (SpanData span : spans) {
          TraceRequestMarshaler.create(List.of(span)).writeJsonTo(json);
          json.write('\n');
        }
      } catch (IOException e) {
        return CompletableResultCode.ofFailure();
      }
      lines = json.toString(StandardCharsets.UTF_8);
    } else {
      StringBuilder text = new StringBuilder();
      spans.forEach(span -> text(span, text));
      lines = text.toString();
    }
    // One write per batch keeps a batch's lines together when other threads print too.
    out.print(lines);
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  private static void text(SpanData span, StringBuilder lines) {
    boolean failed = span.getStatus().getStatusCode() == StatusCode.ERROR;
    TIME.formatTo(Instant.ofEpochSecond(0, span.getStartEpochNanos()), lines);
    lines.append(" SPAN  ")
        .append(String.format(Locale.ROOT, "%7.1f ms ", (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e6))
        .append(String.format(Locale.ROOT, "%-8s ", span.getKind()))
        .append(oneLine(span.getResource().getAttribute(SERVICE_NAME))).append("  ")
        .append(oneLine(span.getName())).append("  ")
        .append(failed ? "ERROR" : "OK");
    if (failed && !span.getStatus().getDescription().isEmpty()) {
      lines.append(' ').append(oneLine(span.getStatus().getDescription()));
    }
    lines.append('\n').append(INDENT)
        .append("trace_id=").append(span.getTraceId())
        .append(" span_id=").append(span.getSpanId())
        .append(" parent_id=").append(span.getParentSpanContext().isValid() ? span.getParentSpanId() : "-")
        .append('\n');
    details("", span.getAttributes(), lines);
    for (EventData event : span.getEvents()) {
      details("event " + oneLine(event.getName()) + ":", event.getAttributes(), lines);
    }
  }

  /** {@code key=value} pairs after {@code label}, indented, wrapped at {@link #DETAIL_WIDTH}. */
  private static void details(String label, Attributes attributes, StringBuilder lines) {
    List<String> pairs = new ArrayList<>();
    attributes.forEach((key, value) -> pairs.add(oneLine(key.getKey()) + "=" + cut(oneLine(String.valueOf(value)))));
    if (pairs.isEmpty() && label.isEmpty()) {
      return;
    }
    pairs.sort(null);
    StringBuilder line = new StringBuilder(INDENT).append(label).append(label.isEmpty() ? "" : " ");
    boolean empty = true;
    for (String pair : pairs) {
      if (!empty && line.length() + 2 + pair.length() > DETAIL_WIDTH) {
        lines.append(line).append('\n');
        line.setLength(0);
        line.append(INDENT).append(INDENT);
        empty = true;
      }
      line.append(empty ? "" : "  ").append(pair);
      empty = false;
    }
    lines.append(line.toString().stripTrailing()).append('\n');
  }

  private static String cut(String value) {
    return value.length() <= MAX_VALUE_CHARS ? value : value.substring(0, MAX_VALUE_CHARS) + "…";
  }

  /** Span names and values may quote request data: nothing in them may break the line. */
  private static String oneLine(String s) {
    return ControlCharacters.escape(s);
  }

  @Override
  public CompletableResultCode flush() {
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return flush();
  }
}
