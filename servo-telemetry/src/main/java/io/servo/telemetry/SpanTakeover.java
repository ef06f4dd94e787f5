package io.servo.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
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
      EndedSpan ended = new EndedSpan(span, Math.max(endNanos, span.startEpochNanos()), status,
          attributes, resource);
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

  /** An ended span built from an {@link OpenSpan}: the SDK's view of it and its export data at once. */
  private record EndedSpan(OpenSpan open, long endEpochNanos, StatusData status,
      Attributes attributes, Resource resource) implements ReadableSpan, SpanData {
    @Override
    public SpanContext getSpanContext() {
      return open.spanContext();
    }

    @Override
    public SpanContext getParentSpanContext() {
      return open.parentSpanContext();
    }

    @Override
    public String getName() {
      return open.name();
    }

    @Override
    public SpanKind getKind() {
      return open.kind();
    }

    @Override
    public SpanData toSpanData() {
      return this;
    }

    @Override
    @SuppressWarnings("deprecation") // both interfaces still require it
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
      return InstrumentationLibraryInfo.create(open.scope(), null);
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return InstrumentationScopeInfo.create(open.scope());
    }

    @Override
    public boolean hasEnded() {
      return true;
    }

    @Override
    public long getLatencyNanos() {
      return endEpochNanos - open.startEpochNanos();
    }

    @Override
    public <T> T getAttribute(AttributeKey<T> key) {
      return attributes.get(key);
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }

    @Override
    public StatusData getStatus() {
      return status;
    }

    @Override
    public long getStartEpochNanos() {
      return open.startEpochNanos();
    }

    @Override
    public List<EventData> getEvents() {
      return List.of();
    }

    @Override
    public List<LinkData> getLinks() {
      return List.of();
    }

    @Override
    public long getEndEpochNanos() {
      return endEpochNanos;
    }

    @Override
    public int getTotalRecordedEvents() {
      return 0;
    }

    @Override
    public int getTotalRecordedLinks() {
      return 0;
    }

    @Override
    public int getTotalAttributeCount() {
      return attributes.size();
    }

    @Override
    public Resource getResource() {
      return resource;
    }
  }
}
