package io.servo.telemetry.redaction;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
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
 * <p>On a database span, the values a database's error message quotes ({@code exception.message},
 * {@code exception.stacktrace} and the status description) are replaced by {@code ?} like the
 * statement's literals.
 *
 * <p>Then control characters are escaped in all the same places ({@link ControlCharacters}; line
 * breaks are kept only in stack traces and SQL text): instrumentation copies request data such as
 * {@code User-Agent}, the method or {@code X-Forwarded-For} onto spans, and whatever shows a span
 * (a terminal waterfall, a line-oriented sink) must not act on it.
 *
 * <p>Spans with nothing to redact or escape are passed on as the same objects.
 */
public final class RedactingSpanExporter implements SpanExporter {

  private static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
  private static final AttributeKey<String> EXCEPTION_STACKTRACE = AttributeKey.stringKey("exception.stacktrace");

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

  /**
   * {@code span} as this exporter would pass it on: itself when it holds nothing to redact. For
   * spans that leave the process another way (a kept trace's part, written to the database).
   */
  public SpanData redact(SpanData span) {
    String name = redactor.redactAndEscape(span.getName());
    Attributes attributes = redactor.redactAndEscape(span.getAttributes());
    // Most spans have no events; only those need to know whether the span is a database's.
    List<EventData> events = span.getEvents().isEmpty()
        ? span.getEvents()
        : redactEvents(span.getEvents(), isDatabaseSpan(span.getAttributes()));
    List<LinkData> links = redactLinks(span.getLinks());
    StatusData status = redactStatus(span.getStatus(), span.getAttributes());
    Resource resource = redactResource(span.getResource());
    if (name == span.getName() && attributes == span.getAttributes()
        && events == span.getEvents() && links == span.getLinks()
        && status == span.getStatus() && resource == span.getResource()) {
      return span;
    }
    return new RedactedSpanData(span, name, attributes, events, links, status, resource);
  }

  /** A span of the JDBC instrumentation (or any other client of a database). */
  private static boolean isDatabaseSpan(Attributes attributes) {
    boolean[] found = new boolean[1];
    attributes.forEach((key, value) -> found[0] |= key.getKey().startsWith("db."));
    return found[0];
  }

  private List<EventData> redactEvents(List<EventData> events, boolean database) {
    List<EventData> out = null;
    for (int i = 0; i < events.size(); i++) {
      EventData event = events.get(i);
      String name = redactor.redactAndEscape(event.getName());
      Attributes redacted = database ? withoutErrorValues(event.getAttributes()) : event.getAttributes();
      Attributes attributes = redactor.redactAndEscape(redacted);
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

  /** Database errors quote the values of the statement that failed: they go like SQL literals. */
  private static Attributes withoutErrorValues(Attributes attributes) {
    String message = attributes.get(EXCEPTION_MESSAGE);
    String stacktrace = attributes.get(EXCEPTION_STACKTRACE);
    String newMessage = SqlText.removeErrorValues(message);
    String newStacktrace = SqlText.removeErrorValues(stacktrace);
    if (newMessage == message && newStacktrace == stacktrace) {
      return attributes;
    }
    AttributesBuilder builder = attributes.toBuilder();
    if (newMessage != null) {
      builder.put(EXCEPTION_MESSAGE, newMessage);
    }
    if (newStacktrace != null) {
      builder.put(EXCEPTION_STACKTRACE, newStacktrace);
    }
    return builder.build();
  }

  private List<LinkData> redactLinks(List<LinkData> links) {
    List<LinkData> out = null;
    for (int i = 0; i < links.size(); i++) {
      LinkData link = links.get(i);
      Attributes attributes = redactor.redactAndEscape(link.getAttributes());
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

  /**
   * A database span's status description is the first line of the database's error, which quotes
   * values like {@code exception.message} does: they go the same way. The worker masks a failed
   * statement's values before they reach a span; this is the exporters' own layer under that.
   */
  private StatusData redactStatus(StatusData status, Attributes spanAttributes) {
    String description = status.getDescription();
    if (description.isEmpty()) {
      return status;
    }
    String withoutValues = isDatabaseSpan(spanAttributes) ? SqlText.removeErrorValues(description) : description;
    String redacted = ControlCharacters.escape(redactor.redact(withoutValues));
    return redacted == description ? status : StatusData.create(status.getStatusCode(), redacted);
  }

  private Resource redactResource(Resource resource) {
    ResourcePair cached = lastResource;
    if (resource == cached.original()) {
      return cached.redacted();
    }
    Attributes attributes = redactor.redactAndEscape(resource.getAttributes());
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
