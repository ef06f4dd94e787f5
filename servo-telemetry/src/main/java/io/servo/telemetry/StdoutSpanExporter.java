package io.servo.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.telemetry.redaction.ControlCharacters;
import java.io.PrintStream;
import java.util.Collection;
import java.util.Locale;

/** Writes one human-readable line per span; control characters in it are escaped ({@link ControlCharacters}). */
final class StdoutSpanExporter implements SpanExporter {

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private final PrintStream out;

  StdoutSpanExporter(PrintStream out) {
    this.out = out;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    StringBuilder lines = new StringBuilder();
    for (SpanData span : spans) {
      lines.append("span ").append(oneLine(span.getName()))
          .append(" service=").append(oneLine(span.getResource().getAttribute(SERVICE_NAME)))
          .append(" kind=").append(span.getKind())
          .append(" trace_id=").append(span.getTraceId())
          .append(" span_id=").append(span.getSpanId())
          .append(" parent_id=").append(span.getParentSpanContext().isValid()
              ? span.getParentSpanId() : "-")
          .append(" duration_ms=").append(String.format(Locale.ROOT, "%.3f",
              (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e6))
          .append(" status=").append(span.getStatus().getStatusCode());
      if (span.getStatus().getStatusCode() == StatusCode.ERROR
          && !span.getStatus().getDescription().isEmpty()) {
        lines.append(" error=\"").append(oneLine(span.getStatus().getDescription())).append('"');
      }
      appendAttributes(lines, span.getAttributes());
      // Events (an exception says why a span failed) follow their span, one per line.
      for (io.opentelemetry.sdk.trace.data.EventData event : span.getEvents()) {
        lines.append(System.lineSeparator()).append("  event ").append(oneLine(event.getName()));
        appendAttributes(lines, event.getAttributes());
      }
      lines.append(System.lineSeparator());
    }
    // One write per batch keeps a batch's lines together when other threads print too.
    out.print(lines);
    out.flush();
    return CompletableResultCode.ofSuccess();
  }

  private static void appendAttributes(StringBuilder lines, io.opentelemetry.api.common.Attributes attributes) {
    lines.append(" attributes={");
    boolean[] first = {true};
    attributes.forEach((key, value) -> {
      if (!first[0]) {
        lines.append(", ");
      }
      first[0] = false;
      lines.append(oneLine(key.getKey())).append('=').append(oneLine(String.valueOf(value)));
    });
    lines.append('}');
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
