package io.servo.telemetry.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HTTP instrumentation copies request data onto spans as it came ({@code user_agent.original},
 * {@code http.request.method_original}, {@code client.address} from {@code X-Forwarded-For}): no
 * exporter may receive the control characters a hostile client put there.
 */
class ControlCharactersInSpansTest {
  private static final SpanContext CONTEXT = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736",
      "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

  @Test
  void everyStringOfASpanIsEscapedBeforeExport() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    SpanData span = TestSpanData.builder()
        .setSpanContext(CONTEXT)
        .setName("GET\u2028forged")
        .setKind(SpanKind.SERVER)
        .setStartEpochNanos(1)
        .setEndEpochNanos(2)
        .setHasEnded(true)
        .setAttributes(Attributes.builder()
            .put("user_agent.original", "curl\u001b[2J\u0085forged")
            .put("http.request.method_original", "PO\u007fST")
            .put("client.address", "1.2.3.4\u0000")
            .put(AttributeKey.stringArrayKey("http.request.header.x"), List.of("a\nb"))
            .put("db.query.text", "SELECT ?\nFROM t\u001b")
            .put("http.response.status_code", 200L)
            .build())
        .setTotalAttributeCount(6)
        .setEvents(List.of(EventData.create(3, "exception", Attributes.of(
            AttributeKey.stringKey("exception.message"), "bad\ninput",
            AttributeKey.stringKey("exception.stacktrace"), "java.lang.X: bad\n\tat a.b(C.java:1)\u009b"))))
        .setTotalRecordedEvents(1)
        .setLinks(List.of(LinkData.create(CONTEXT, Attributes.of(AttributeKey.stringKey("why"), "x\ry"))))
        .setTotalRecordedLinks(1)
        .setStatus(StatusData.create(StatusCode.ERROR, "failed:\u000bforged"))
        .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "servo\u0007")))
        .build();

    RedactingSpanExporter.create(memory, Redactor.defaults()).export(List.of(span));

    SpanData out = memory.getFinishedSpanItems().get(0);
    assertThat(out.getName()).isEqualTo("GET\\u2028forged");
    assertThat(out.getAttributes().asMap()).containsEntry(AttributeKey.stringKey("user_agent.original"), "curl\\u001b[2J\\u0085forged")
        .containsEntry(AttributeKey.stringKey("http.request.method_original"), "PO\\u007fST")
        .containsEntry(AttributeKey.stringKey("client.address"), "1.2.3.4\\u0000")
        .containsEntry(AttributeKey.stringArrayKey("http.request.header.x"), List.of("a\\nb"))
        .containsEntry(AttributeKey.stringKey("db.query.text"), "SELECT ?\nFROM t\\u001b")
        .containsEntry(AttributeKey.longKey("http.response.status_code"), 200L);
    assertThat(out.getTotalAttributeCount()).isEqualTo(6);
    assertThat(out.getEvents().get(0).getAttributes().get(AttributeKey.stringKey("exception.message")))
        .isEqualTo("bad\\ninput");
    assertThat(out.getEvents().get(0).getAttributes().get(AttributeKey.stringKey("exception.stacktrace")))
        .isEqualTo("java.lang.X: bad\n\tat a.b(C.java:1)\\u009b");
    assertThat(out.getLinks().get(0).getAttributes().get(AttributeKey.stringKey("why"))).isEqualTo("x\\ry");
    assertThat(out.getStatus().getDescription()).isEqualTo("failed:\\u000bforged");
    assertThat(out.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("servo\\u0007");
  }

  @Test
  void aCleanSpanIsPassedOnAsTheSameObject() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    SpanData span = TestSpanData.builder().setSpanContext(CONTEXT).setName("POST /execute").setKind(SpanKind.SERVER)
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setAttributes(Attributes.of(AttributeKey.stringKey("db.query.text"), "SELECT ?\n\tFROM t"))
        .setStatus(StatusData.unset()).build();

    RedactingSpanExporter.create(memory, Redactor.defaults()).export(List.of(span));

    assertThat(memory.getFinishedSpanItems().get(0)).isSameAs(span);
  }

  /**
   * Clean values and names are remembered, so that the next span with them costs one lookup: what
   * is remembered under one key must not let the same value through unescaped or unredacted under
   * another, nor a second time.
   */
  @Test
  void aValueSeenBeforeIsRedactedAndEscapedAsTheFirstTimeWhateverItsKey() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    RedactingSpanExporter exporter = RedactingSpanExporter.create(memory, Redactor.create(List.of("x-servo-test")));
    String trace = "java.lang.X: bad\n\tat a.b(C.java:1)";
    List<SpanData> spans = List.of(
        span("GET /orders", Attributes.builder().put("exception.stacktrace", trace)
            .put("servo.asset", "customer_totals").put("db.query.text", "SELECT ?\nFROM t").build()),
        span("GET /orders\u001b[2J", Attributes.of(AttributeKey.stringKey("note"), trace)),
        span("GET /orders", Attributes.of(AttributeKey.stringKey("api.password"), "customer_totals")),
        span("GET /orders", Attributes.of(AttributeKey.stringKey("reason"), "SELECT ?\nFROM t")),
        span("GET /orders", Attributes.of(AttributeKey.stringKey("state"), "status\u001b[31mred")),
        span("GET /orders", Attributes.of(AttributeKey.stringKey("code"), "x\u001by")));

    for (int time = 1; time <= 3; time++) {
      memory.reset();
      exporter.export(spans);

      List<SpanData> out = memory.getFinishedSpanItems();
      assertThat(out.get(0)).as("time %d", time).isSameAs(spans.get(0));
      assertThat(out.get(1).getName()).as("time %d", time).isEqualTo("GET /orders\\u001b[2J");
      assertThat(out.get(1).getAttributes().get(AttributeKey.stringKey("note"))).as("time %d", time)
          .isEqualTo("java.lang.X: bad\\n\\tat a.b(C.java:1)");
      assertThat(out.get(2).getAttributes().get(AttributeKey.stringKey("api.password"))).as("time %d", time)
          .isEqualTo(Redactor.REDACTED);
      assertThat(out.get(3).getAttributes().get(AttributeKey.stringKey("reason"))).as("time %d", time)
          .isEqualTo("SELECT ?\\nFROM t");
      assertThat(out.get(4).getAttributes().get(AttributeKey.stringKey("state"))).as("time %d", time)
          .isEqualTo("status\\u001b[31mred");
      assertThat(out.get(5).getAttributes().get(AttributeKey.stringKey("code"))).as("time %d", time)
          .isEqualTo("x\\u001by");
    }
  }

  private static SpanData span(String name, Attributes attributes) {
    return TestSpanData.builder().setSpanContext(CONTEXT).setName(name).setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true).setAttributes(attributes)
        .setTotalAttributeCount(attributes.size()).setStatus(StatusData.unset()).build();
  }
}
