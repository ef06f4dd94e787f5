package io.servo.cli.security;

import io.opentelemetry.api.common.AttributeType;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** What exported spans must never hold, whatever the requests were. */
final class SpanChecks {
  /** Attributes whose values are multi-line by nature (their line breaks come from code, not requests). */
  private static final Set<String> MULTI_LINE = Set.of("exception.stacktrace", "db.statement", "db.query.text");

  private SpanChecks() {}

  /** Every string of every span (name, attributes, events, links, status, trace state, resource) with a raw control character. */
  static List<String> rawControlCharacters(List<SpanData> spans) {
    List<String> problems = new ArrayList<>();
    for (SpanData span : spans) {
      String where = span.getName() + " (" + span.getSpanId() + ")";
      check(problems, where, "name", span.getName(), false);
      attributes(problems, where, "attribute", span.getAttributes());
      for (EventData event : span.getEvents()) {
        check(problems, where, "event name", event.getName(), false);
        attributes(problems, where, "event attribute", event.getAttributes());
      }
      for (LinkData link : span.getLinks()) {
        attributes(problems, where, "link attribute", link.getAttributes());
        traceState(problems, where, "link trace state", link.getSpanContext());
      }
      check(problems, where, "status", span.getStatus().getDescription(), false);
      traceState(problems, where, "trace state", span.getSpanContext());
      traceState(problems, where, "parent trace state", span.getParentSpanContext());
      attributes(problems, where, "resource attribute", span.getResource().getAttributes());
    }
    return problems;
  }

  private static void traceState(List<String> problems, String where, String what, SpanContext context) {
    context.getTraceState().forEach((key, value) -> {
      check(problems, where, what + " key", key, false);
      check(problems, where, what + " " + key, value, false);
    });
  }

  private static void attributes(List<String> problems, String where, String what, Attributes attributes) {
    attributes.forEach((key, value) -> {
      check(problems, where, what + " key", key.getKey(), false);
      boolean multiLine = MULTI_LINE.contains(key.getKey());
      if (key.getType() == AttributeType.STRING) {
        check(problems, where, what + " " + key.getKey(), (String) value, multiLine);
      } else if (key.getType() == AttributeType.STRING_ARRAY) {
        for (Object element : (List<?>) value) {
          check(problems, where, what + " " + key.getKey(), (String) element, multiLine);
        }
      }
    });
  }

  private static void check(List<String> problems, String where, String what, String value, boolean multiLine) {
    if (value == null) {
      return;
    }
    String checked = multiLine ? value.replace("\n", "").replace("\r", "") : value;
    if (Hostile.hasRawControl(checked)) {
      problems.add(where + ": " + what + " holds a raw control character: " + Hostile.show(value));
    }
  }

  /** Spans whose text holds {@code needle} anywhere (name, attributes, events, links, status, resource). */
  static List<String> containing(List<SpanData> spans, String needle) {
    List<String> found = new ArrayList<>();
    for (SpanData span : spans) {
      StringBuilder text = new StringBuilder(span.getName()).append(' ').append(span.getAttributes())
          .append(' ').append(span.getStatus().getDescription()).append(' ').append(span.getResource().getAttributes())
          .append(' ').append(span.getSpanContext().getTraceState().asMap());
      span.getEvents().forEach(e -> text.append(' ').append(e.getName()).append(' ').append(e.getAttributes()));
      span.getLinks().forEach(l -> text.append(' ').append(l.getAttributes())
          .append(' ').append(l.getSpanContext().getTraceState().asMap()));
      if (text.indexOf(needle) >= 0) {
        found.add(span.getName() + " " + Hostile.show(text.toString()));
      }
    }
    return found;
  }
}
