package io.servo.telemetry.redaction;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;

/** A span with redacted fields; counts (total attributes, events, links) are the original's. */
final class RedactedSpanData extends DelegatingSpanData {

  private final String name;
  private final Attributes attributes;
  private final List<EventData> events;
  private final List<LinkData> links;
  private final StatusData status;
  private final Resource resource;

  RedactedSpanData(SpanData delegate, String name, Attributes attributes, List<EventData> events,
      List<LinkData> links, StatusData status, Resource resource) {
    super(delegate);
    this.name = name;
    this.attributes = attributes;
    this.events = events;
    this.links = links;
    this.status = status;
    this.resource = resource;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public Attributes getAttributes() {
    return attributes;
  }

  @Override
  public List<EventData> getEvents() {
    return events;
  }

  @Override
  public List<LinkData> getLinks() {
    return links;
  }

  @Override
  public StatusData getStatus() {
    return status;
  }

  @Override
  public Resource getResource() {
    return resource;
  }
}
