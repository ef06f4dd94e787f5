package io.servo.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A span that is still open, described well enough for another process to end it with its original
 * ids should this one die first ({@link SpanTakeover}). {@link #encode(List)} writes a few of them
 * as one short line of text per span, for a database column; nothing but ids, times, kind and names
 * is kept (no attribute, so no secret).
 *
 * @param parentSpanId the parent's span id, or {@link SpanId#getInvalid()} for a root span
 * @param scope the name of the instrumentation scope that started the span
 */
public record OpenSpan(String traceId, String spanId, String parentSpanId, boolean sampled,
    long startEpochNanos, SpanKind kind, String scope, String name) {
  /** First field of each line: the format's version, so a newer worker's records are recognized. */
  private static final String VERSION = "1";
  private static final int FIELDS = 9;

  public OpenSpan {
    if (!TraceId.isValid(traceId) || !SpanId.isValid(spanId)) {
      throw new IllegalArgumentException("an open span needs a valid trace id and span id, got "
          + traceId + "/" + spanId);
    }
    Objects.requireNonNull(parentSpanId, "parentSpanId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(name, "name");
  }

  /**
   * The span as it stands, when it is an SDK span that is sampled and not yet ended; empty for a
   * non-recording, unsampled or ended span (nothing would be left to end).
   */
  public static Optional<OpenSpan> of(Span span) {
    if (!(span instanceof ReadableSpan readable) || readable.hasEnded()
        || !readable.getSpanContext().isSampled()) {
      return Optional.empty();
    }
    // The start time is only readable through toSpanData (which also copies the span's handful
    // of attributes): once per span recorded, a few per execution.
    SpanContext context = readable.getSpanContext();
    SpanData data = readable.toSpanData();
    return Optional.of(new OpenSpan(context.getTraceId(), context.getSpanId(),
        readable.getParentSpanContext().getSpanId(), true, data.getStartEpochNanos(),
        readable.getKind(), readable.getInstrumentationScopeInfo().getName(), readable.getName()));
  }

  /** The span's own context, as its children saw it. */
  public SpanContext spanContext() {
    return SpanContext.create(traceId, spanId,
        sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault());
  }

  /** The parent's context; invalid for a root span. */
  public SpanContext parentSpanContext() {
    if (!SpanId.isValid(parentSpanId)) {
      return SpanContext.getInvalid();
    }
    return SpanContext.create(traceId, parentSpanId,
        sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault());
  }

  /** One line per span, space-separated; the name goes last and has line breaks replaced. */
  public static String encode(List<OpenSpan> spans) {
    StringBuilder text = new StringBuilder(spans.size() * 120);
    for (OpenSpan s : spans) {
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(VERSION).append(' ').append(s.traceId).append(' ').append(s.spanId).append(' ')
          .append(s.parentSpanId).append(' ').append(s.sampled ? '1' : '0').append(' ')
          .append(s.startEpochNanos).append(' ').append(s.kind.name()).append(' ')
          .append(s.scope.replace(' ', '_')).append(' ')
          .append(s.name.replace('\n', ' ').replace('\r', ' '));
    }
    return text.toString();
  }

  /**
   * The spans {@link #encode(List)} wrote. A line it cannot read (another version, a damaged value)
   * is skipped: it could not be ended with the right ids anyway.
   */
  public static List<OpenSpan> decode(String text) {
    List<OpenSpan> spans = new ArrayList<>();
    if (text == null || text.isEmpty()) {
      return spans;
    }
    for (String line : text.split("\n")) {
      String[] f = line.split(" ", FIELDS);
      if (f.length != FIELDS || !VERSION.equals(f[0])) {
        continue;
      }
      try {
        spans.add(new OpenSpan(f[1], f[2], f[3], "1".equals(f[4]), Long.parseLong(f[5]),
            SpanKind.valueOf(f[6]), f[7], f[8]));
      } catch (IllegalArgumentException e) { // NumberFormatException too
        // skipped, as documented
      }
    }
    return spans;
  }
}
