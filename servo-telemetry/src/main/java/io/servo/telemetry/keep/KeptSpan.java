package io.servo.telemetry.keep;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;

/**
 * A span ended after the fact: one of a kept trace, built from a {@link TraceSkeleton} or read back
 * from the database ({@link KeptSpanCodec}), or one a dead process left open, ended by {@code
 * SpanTakeover}. It is the SDK's view of an ended span and its export data at once, so that it goes
 * through the service's own span processors (redaction, bounded queue, drop counting).
 */
public record KeptSpan(SpanContext spanContext, SpanContext parentSpanContext, String name,
    SpanKind kind, String scope, long startEpochNanos, long endEpochNanos, Attributes attributes,
    StatusData status, List<EventData> events, Resource resource) implements ReadableSpan, SpanData {

  public KeptSpan {
    events = List.copyOf(events);
  }

  @Override
  public SpanContext getSpanContext() {
    return spanContext;
  }

  @Override
  public SpanContext getParentSpanContext() {
    return parentSpanContext;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public SpanKind getKind() {
    return kind;
  }

  @Override
  public SpanData toSpanData() {
    return this;
  }

  @Override
  @SuppressWarnings("deprecation") // both interfaces still require it
  public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
    return InstrumentationLibraryInfo.create(scope, null);
  }

  @Override
  public InstrumentationScopeInfo getInstrumentationScopeInfo() {
    return InstrumentationScopeInfo.create(scope);
  }

  @Override
  public boolean hasEnded() {
    return true;
  }

  @Override
  public long getLatencyNanos() {
    return endEpochNanos - startEpochNanos;
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
    return startEpochNanos;
  }

  @Override
  public List<EventData> getEvents() {
    return events;
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
    return events.size();
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
