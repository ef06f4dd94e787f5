package io.servo.telemetry.redaction;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A {@link SpanExporter} that redacts every span before handing it to its delegate: span names,
 * span attributes, event names and attributes (including {@code exception.message} and {@code
 * exception.stacktrace}), link attributes, status descriptions and resource attributes. Dropped
 * counts stay truthful: the number of attributes, events and links recorded is the original's.
 *
 * <p>Spans with nothing to redact are passed on as the same objects.
 */
public final class RedactingSpanExporter implements SpanExporter {

  private final SpanExporter delegate;
  private final Redactor redactor;
  // Every span of an SDK shares one Resource: redact it once.
  private volatile ResourcePair lastResource = new ResourcePair(Resource.empty(), Resource.empty());

  private record ResourcePair(Resource original, Resource redacted) {}

  private RedactingSpanExporter(SpanExporter delegate, Redactor redactor) {
    this.delegate = delegate;
    this.redactor = redactor;
  }

  /** Wraps {@code delegate} so that it only ever sees spans redacted by {@code redactor}. */
  public static RedactingSpanExporter create(SpanExporter delegate, Redactor redactor) {
    return new RedactingSpanExporter(
        Objects.requireNonNull(delegate, "delegate"), Objects.requireNonNull(redactor, "redactor"));
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    List<SpanData> out = null;
    int index = 0;
    for (SpanData span : spans) {
      SpanData redacted = redact(span);
      if (redacted != span && out == null) {
        out = new ArrayList<>(spans.size());
        int copied = 0;
        for (SpanData previous : spans) {
          if (copied++ == index) {
            break;
          }
          out.add(previous);
        }
      }
      if (out != null) {
        out.add(redacted);
      }
      index++;
    }
    return delegate.export(out == null ? spans : out);
  }

  /** Returns {@code span} itself when it holds nothing to redact. */
  SpanData redact(SpanData span) {
    String name = redactor.redact(span.getName());
    Attributes attributes = redactor.redact(span.getAttributes());
    List<EventData> events = redactEvents(span.getEvents());
    List<LinkData> links = redactLinks(span.getLinks());
    StatusData status = redactStatus(span.getStatus());
    Resource resource = redactResource(span.getResource());
    if (name == span.getName() && attributes == span.getAttributes()
        && events == span.getEvents() && links == span.getLinks()
        && status == span.getStatus() && resource == span.getResource()) {
      return span;
    }
    return new RedactedSpanData(span, name, attributes, events, links, status, resource);
  }

  private List<EventData> redactEvents(List<EventData> events) {
    List<EventData> out = null;
    for (int i = 0; i < events.size(); i++) {
      EventData event = events.get(i);
      String name = redactor.redact(event.getName());
      Attributes attributes = redactor.redact(event.getAttributes());
      if (out == null && (name != event.getName() || attributes != event.getAttributes())) {
        out = new ArrayList<>(events.subList(0, i));
      }
      if (out != null) {
        out.add(name == event.getName() && attributes == event.getAttributes()
            ? event
            : EventData.create(event.getEpochNanos(), name, attributes,
                event.getTotalAttributeCount()));
      }
    }
    return out == null ? events : out;
  }

  private List<LinkData> redactLinks(List<LinkData> links) {
    List<LinkData> out = null;
    for (int i = 0; i < links.size(); i++) {
      LinkData link = links.get(i);
      Attributes attributes = redactor.redact(link.getAttributes());
      if (out == null && attributes != link.getAttributes()) {
        out = new ArrayList<>(links.subList(0, i));
      }
      if (out != null) {
        out.add(attributes == link.getAttributes()
            ? link
            : LinkData.create(link.getSpanContext(), attributes, link.getTotalAttributeCount()));
      }
    }
    return out == null ? links : out;
  }

  private StatusData redactStatus(StatusData status) {
    String description = status.getDescription();
    String redacted = redactor.redact(description);
    return redacted == description ? status : StatusData.create(status.getStatusCode(), redacted);
  }

  private Resource redactResource(Resource resource) {
    ResourcePair cached = lastResource;
    if (resource == cached.original()) {
      return cached.redacted();
    }
    Attributes attributes = redactor.redact(resource.getAttributes());
    Resource redacted = attributes == resource.getAttributes()
        ? resource
        : Resource.create(attributes, resource.getSchemaUrl());
    lastResource = new ResourcePair(resource, redacted);
    return redacted;
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }

  @Override
  public String toString() {
    return "RedactingSpanExporter{" + delegate + "}";
  }
}
