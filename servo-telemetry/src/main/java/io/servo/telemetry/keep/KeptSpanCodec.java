package io.servo.telemetry.keep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One service's part of a kept trace as text, so that the service which exports the whole trace can
 * read it back: the worker writes its part into the execution's row, and the orchestrator that holds
 * the rest exports both (whole or not at all). JSON: the resource's attributes once, then each span
 * with its ids, times, status, string/number/boolean attributes and events. Array attributes are
 * written as their text. The spans written are already redacted by the writer.
 */
public final class KeptSpanCodec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int VERSION = 1;
  private static final int MAX_VALUE_CHARS = 8192;

  private KeptSpanCodec() {}

  /** The spans, which share one resource (that of the first). */
  public static String encode(List<? extends SpanData> spans) {
    ObjectNode root = JSON.createObjectNode();
    root.put("v", VERSION);
    if (!spans.isEmpty()) {
      root.set("resource", attributes(spans.get(0).getResource().getAttributes()));
    }
    ArrayNode list = root.putArray("spans");
    for (SpanData span : spans) {
      ObjectNode s = list.addObject();
      s.put("trace", span.getTraceId());
      s.put("span", span.getSpanId());
      s.put("parent", span.getParentSpanId());
      s.put("name", span.getName());
      s.put("kind", span.getKind().name());
      s.put("scope", span.getInstrumentationScopeInfo().getName());
      s.put("start", span.getStartEpochNanos());
      s.put("end", span.getEndEpochNanos());
      s.put("status", span.getStatus().getStatusCode().name());
      s.put("description", span.getStatus().getDescription());
      s.set("attributes", attributes(span.getAttributes()));
      ArrayNode events = s.putArray("events");
      for (EventData event : span.getEvents()) {
        ObjectNode e = events.addObject();
        e.put("name", event.getName());
        e.put("time", event.getEpochNanos());
        e.set("attributes", attributes(event.getAttributes()));
      }
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("kept spans could not be written", e);
    }
  }

  /**
   * The spans {@link #encode} wrote, sampled.
   *
   * @throws IllegalArgumentException when {@code text} is not such a record
   */
  public static List<KeptSpan> decode(String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a kept-spans record: " + e.getOriginalMessage());
    }
    if (root == null || root.path("v").asInt() != VERSION) {
      throw new IllegalArgumentException("not a kept-spans record of version " + VERSION);
    }
    Resource resource = Resource.create(attributes(root.path("resource")));
    List<KeptSpan> spans = new ArrayList<>();
    for (JsonNode s : root.path("spans")) {
      String traceId = s.path("trace").asText();
      String spanId = s.path("span").asText();
      String parentId = s.path("parent").asText();
      if (!TraceId.isValid(traceId) || !SpanId.isValid(spanId)) {
        throw new IllegalArgumentException("a kept span has no valid ids");
      }
      List<EventData> events = new ArrayList<>();
      for (JsonNode e : s.path("events")) {
        events.add(EventData.create(e.path("time").asLong(), e.path("name").asText(),
            attributes(e.path("attributes"))));
      }
      String description = s.path("description").isTextual() ? s.path("description").asText() : "";
      spans.add(new KeptSpan(
          SpanContext.create(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault()),
          SpanId.isValid(parentId)
              ? SpanContext.create(traceId, parentId, TraceFlags.getSampled(), TraceState.getDefault())
              : SpanContext.getInvalid(),
          s.path("name").asText(), SpanKind.valueOf(s.path("kind").asText("INTERNAL")),
          s.path("scope").asText("io.servo"), s.path("start").asLong(), s.path("end").asLong(),
          attributes(s.path("attributes")),
          StatusData.create(StatusCode.valueOf(s.path("status").asText("UNSET")), description),
          events, resource));
    }
    return spans;
  }

  private static ObjectNode attributes(Attributes attributes) {
    ObjectNode node = JSON.createObjectNode();
    attributes.forEach((key, value) -> {
      switch (key.getType()) {
        case LONG -> node.put(key.getKey(), (Long) value);
        case DOUBLE -> node.put(key.getKey(), (Double) value);
        case BOOLEAN -> node.put(key.getKey(), (Boolean) value);
        default -> node.put(key.getKey(), bounded(String.valueOf(value)));
      }
    });
    return node;
  }

  /** A value as written: at most {@link #MAX_VALUE_CHARS} (a failed statement may be a huge INSERT). */
  private static String bounded(String value) {
    return value.length() <= MAX_VALUE_CHARS ? value : value.substring(0, MAX_VALUE_CHARS) + "…";
  }

  private static Attributes attributes(JsonNode node) {
    AttributesBuilder builder = Attributes.builder();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode value = field.getValue();
      if (value.isIntegralNumber()) {
        builder.put(AttributeKey.longKey(field.getKey()), value.asLong());
      } else if (value.isNumber()) {
        builder.put(AttributeKey.doubleKey(field.getKey()), value.asDouble());
      } else if (value.isBoolean()) {
        builder.put(AttributeKey.booleanKey(field.getKey()), value.asBoolean());
      } else {
        builder.put(AttributeKey.stringKey(field.getKey()), value.asText());
      }
    }
    return builder.build();
  }
}
