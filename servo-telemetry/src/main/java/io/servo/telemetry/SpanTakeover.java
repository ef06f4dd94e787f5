package io.servo.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.servo.telemetry.keep.KeptSpan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Ends spans that a process which died left open ({@link OpenSpan}), with their original trace and
 * span ids, parents and start times, through the same export pipeline as the service's own spans
 * (redaction, bounded batch queue, drop counting). Without this, the spans the dead process had
 * already ended and exported (its children) reach the backend with a parent that never arrives.
 *
 * <p>The SDK has no way to start a span with a given id, so the ended span is handed to the
 * service's span processors directly, as the SDK's own spans are when they end.
 */
public final class SpanTakeover {
  /** Ends nothing: tracing is off, or the SDK was not started by {@link ServoTelemetry}. */
  public static final SpanTakeover NONE = new SpanTakeover(List.of(), Resource.empty());

  private final List<SpanProcessor> processors;
  private final Resource resource;

  private SpanTakeover(List<SpanProcessor> processors, Resource resource) {
    this.processors = processors;
    this.resource = resource;
  }

  /**
   * Ends spans through {@code processor} (for example a {@code SimpleSpanProcessor} around an
   * in-memory exporter in a test), as spans of {@code resource}.
   */
  public static SpanTakeover create(SpanProcessor processor, Resource resource) {
    return new SpanTakeover(List.of(Objects.requireNonNull(processor, "processor")),
        Objects.requireNonNull(resource, "resource"));
  }

  static SpanTakeover create(List<SpanProcessor> processors, Resource resource) {
    return processors.isEmpty() ? NONE : new SpanTakeover(List.copyOf(processors), resource);
  }

  /**
   * The takeover of the service whose {@link ServoTelemetry#openTelemetry()} this is; {@link #NONE}
   * for any other {@link OpenTelemetry} (a no-op one, or an SDK built elsewhere).
   */
  public static SpanTakeover of(OpenTelemetry openTelemetry) {
    return ServoTelemetry.takeoverOf(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  /** Whether {@link #end} exports anything. */
  public boolean enabled() {
    return this != NONE;
  }

  /**
   * Ends each sampled span of {@code spans} at {@code end} with status ERROR, {@code description}
   * and {@code attributes}; unsampled ones are left out, as the SDK leaves them out.
   */
  public void end(List<OpenSpan> spans, Instant end, String description, Attributes attributes) {
    Objects.requireNonNull(end, "end");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(attributes, "attributes");
    long endNanos = TimeUnit.SECONDS.toNanos(end.getEpochSecond()) + end.getNano();
    StatusData status = StatusData.create(StatusCode.ERROR, description);
    for (OpenSpan span : spans) {
      if (!span.sampled()) {
        continue;
      }
      // A clock behind the dead process's must not make a span end before it started.
      KeptSpan ended = new KeptSpan(span.spanContext(), span.parentSpanContext(), span.name(), span.kind(),
          span.scope(), span.startEpochNanos(), Math.max(endNanos, span.startEpochNanos()), attributes,
          status, List.of(), resource);
      for (SpanProcessor processor : processors) {
        processor.onEnd(ended);
      }
    }
  }

  /** {@link #end} of the spans in {@code records}, each written by {@link OpenSpan#encode}. */
  public void endRecorded(List<String> records, Instant end, String description, Attributes attributes) {
    List<OpenSpan> spans = new ArrayList<>();
    for (String record : records) {
      spans.addAll(OpenSpan.decode(record));
    }
    end(spans, end, description, attributes);
  }
}
