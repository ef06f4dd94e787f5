package io.servo.telemetry.view;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The spans of the most recent traces, kept in memory for {@code servo dev} and {@code servo demo}
 * to show as a {@link TraceWaterfall}.
 *
 * <p>Add it with {@code ServoTelemetry.builder(config, name).addSpanExporter(recentTraces)}: spans
 * then arrive redacted, and after {@code forceFlush}. Memory is bounded: at most {@code maxTraces}
 * traces (the one updated least recently is evicted first) and {@code maxSpansPerTrace} spans per
 * trace (the oldest exported span is evicted first, so the root span, which ends last, stays).
 * Thread-safe. What was collected stays readable after {@link #shutdown()}.
 */
public final class RecentTraces implements SpanExporter {

  /** Traces kept by {@link #create()}. */
  public static final int DEFAULT_MAX_TRACES = 100;

  /** Spans per trace kept by {@link #create()}. */
  public static final int DEFAULT_MAX_SPANS_PER_TRACE = 1_000;

  private final int maxTraces;
  private final int maxSpansPerTrace;
  // Guarded by this. Access order: the least recently updated trace comes first.
  private final LinkedHashMap<String, ArrayDeque<SpanData>> traces =
      new LinkedHashMap<>(16, 0.75f, true);
  private long evictedSpans;
  private boolean shutdown;

  RecentTraces(int maxTraces, int maxSpansPerTrace) {
    this.maxTraces = maxTraces;
    this.maxSpansPerTrace = maxSpansPerTrace;
  }

  /** Keeps {@link #DEFAULT_MAX_TRACES} traces of up to {@link #DEFAULT_MAX_SPANS_PER_TRACE} spans. */
  public static RecentTraces create() {
    return create(DEFAULT_MAX_TRACES, DEFAULT_MAX_SPANS_PER_TRACE);
  }

  /**
   * Keeps up to {@code maxTraces} traces of up to {@code maxSpansPerTrace} spans each.
   *
   * @throws IllegalArgumentException if either bound is less than 1
   */
  public static RecentTraces create(int maxTraces, int maxSpansPerTrace) {
    if (maxTraces < 1) {
      throw new IllegalArgumentException("maxTraces must be at least 1, was " + maxTraces);
    }
    if (maxSpansPerTrace < 1) {
      throw new IllegalArgumentException(
          "maxSpansPerTrace must be at least 1, was " + maxSpansPerTrace);
    }
    return new RecentTraces(maxTraces, maxSpansPerTrace);
  }

  /**
   * The spans kept for {@code traceId}, in the order they were exported; empty when the trace is
   * unknown or was evicted.
   */
  public synchronized List<SpanData> trace(String traceId) {
    Objects.requireNonNull(traceId, "traceId");
    // get() would count as an access and reorder the eviction queue.
    for (Map.Entry<String, ArrayDeque<SpanData>> entry : traces.entrySet()) {
      if (entry.getKey().equals(traceId)) {
        return List.copyOf(entry.getValue());
      }
    }
    return List.of();
  }

  /** The trace ids kept, the most recently updated first. */
  public synchronized List<String> traceIds() {
    List<String> ids = new ArrayList<>(traces.keySet());
    Collections.reverse(ids);
    return ids;
  }

  /** Spans evicted so far to stay within the bounds. */
  public synchronized long evictedSpans() {
    return evictedSpans;
  }

  /** Forgets everything collected. */
  public synchronized void clear() {
    traces.clear();
  }

  @Override
  public synchronized CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown) {
      return CompletableResultCode.ofFailure();
    }
    for (SpanData span : spans) {
      ArrayDeque<SpanData> trace = traces.computeIfAbsent(span.getTraceId(), id -> new ArrayDeque<>());
      trace.addLast(span);
      if (trace.size() > maxSpansPerTrace) {
        trace.removeFirst();
        evictedSpans++;
      }
      if (traces.size() > maxTraces) {
        Iterator<ArrayDeque<SpanData>> eldest = traces.values().iterator();
        evictedSpans += eldest.next().size();
        eldest.remove();
      }
    }
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  /** Stops accepting spans; what was collected stays readable. */
  @Override
  public synchronized CompletableResultCode shutdown() {
    shutdown = true;
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "RecentTraces{maxTraces=" + maxTraces + ", maxSpansPerTrace=" + maxSpansPerTrace + "}";
  }
}
