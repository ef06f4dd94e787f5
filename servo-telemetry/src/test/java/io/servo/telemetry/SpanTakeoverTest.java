package io.servo.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.config.TracingConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A span left open by a process that died is ended elsewhere with its own ids, as an error. */
class SpanTakeoverTest {
  private static final TracingConfig CONFIG = TracingConfig.from(Map.of(
      "SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_SAMPLE_RATE", "1.0"));

  @Test
  void aLostProcesssOpenSpansAreExportedWithTheirOriginalIdsAsErrorsThroughRedaction() {
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    ServoTelemetry dead = ServoTelemetry.builder(CONFIG, "servo-worker").start();
    Tracer tracer = dead.openTelemetry().getTracer("io.servo.worker");
    Span server = tracer.spanBuilder("POST /execute").setSpanKind(SpanKind.SERVER).startSpan();
    Span consumer = tracer.spanBuilder("worker.execute_workflow").setSpanKind(SpanKind.CONSUMER)
        .setParent(Context.root().with(server)).startSpan();
    List<OpenSpan> open = List.of(OpenSpan.of(consumer).orElseThrow(), OpenSpan.of(server).orElseThrow());
    String stored = OpenSpan.encode(open);
    // The process dies here: neither span ends.

    ServoTelemetry taker = ServoTelemetry.builder(CONFIG, "servo-worker").addSpanExporter(exported).start();
    Instant now = Instant.now();
    SpanTakeover.of(taker.openTelemetry()).end(OpenSpan.decode(stored), now,
        "worker lost; lease expired at 2026-01-01T00:00:00Z (Bearer abc.def.ghi)",
        Attributes.of(AttributeKey.stringKey("servo.execution.id"), "e-1"));
    assertThat(taker.forceFlush(Duration.ofSeconds(5))).isTrue();

    List<SpanData> spans = exported.getFinishedSpanItems();
    assertThat(spans).extracting(SpanData::getSpanId)
        .containsExactlyInAnyOrder(server.getSpanContext().getSpanId(), consumer.getSpanContext().getSpanId());
    SpanData lostConsumer = spans.stream()
        .filter(s -> s.getSpanId().equals(consumer.getSpanContext().getSpanId())).findFirst().orElseThrow();
    assertThat(lostConsumer.getTraceId()).isEqualTo(server.getSpanContext().getTraceId());
    assertThat(lostConsumer.getParentSpanId()).isEqualTo(server.getSpanContext().getSpanId());
    assertThat(lostConsumer.getName()).isEqualTo("worker.execute_workflow");
    assertThat(lostConsumer.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(lostConsumer.getInstrumentationScopeInfo().getName()).isEqualTo("io.servo.worker");
    assertThat(lostConsumer.getStartEpochNanos()).isEqualTo(open.get(0).startEpochNanos());
    assertThat(lostConsumer.getEndEpochNanos()).isGreaterThanOrEqualTo(lostConsumer.getStartEpochNanos());
    assertThat(lostConsumer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(lostConsumer.getStatus().getDescription())
        .startsWith("worker lost; lease expired at 2026-01-01T00:00:00Z").doesNotContain("abc.def.ghi");
    assertThat(lostConsumer.getAttributes().get(AttributeKey.stringKey("servo.execution.id"))).isEqualTo("e-1");
    assertThat(lostConsumer.getResource().getAttribute(AttributeKey.stringKey("service.name")))
        .isEqualTo("servo-worker");
    assertThat(spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow()
        .getParentSpanContext().isValid()).isFalse();
    dead.close();
    taker.close();
  }

  @Test
  void onlySampledOpenSdkSpansAreRecordedAndOnlyServoTelemetryCanEndThem() {
    ServoTelemetry unsampled = ServoTelemetry.start(TracingConfig.from(Map.of(
        "SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_SAMPLE_RATE", "0.0")),
        "servo-worker");
    Span span = unsampled.openTelemetry().getTracer("t").spanBuilder("x").startSpan();
    assertThat(OpenSpan.of(span)).isEmpty();
    assertThat(OpenSpan.of(Span.getInvalid())).isEmpty();
    ServoTelemetry sampled = ServoTelemetry.builder(CONFIG, "servo-worker")
        .addSpanExporter(InMemorySpanExporter.create()).start();
    Span ended = sampled.openTelemetry().getTracer("t").spanBuilder("x").startSpan();
    ended.end();
    assertThat(OpenSpan.of(ended)).isEmpty();
    assertThat(SpanTakeover.of(OpenTelemetry.noop()).enabled()).isFalse();
    assertThat(SpanTakeover.of(unsampled.openTelemetry()).enabled()).as("no exporter at all").isFalse();
    assertThat(SpanTakeover.of(sampled.openTelemetry()).enabled()).isTrue();
    unsampled.close();
    sampled.close();
  }

  @Test
  void aRecordItCannotReadIsSkipped() {
    OpenSpan span = new OpenSpan("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
        "0000000000000000", true, 42L, SpanKind.INTERNAL, "io.servo.worker", "POST /x\nwith a break");
    String text = "2 future format\n" + OpenSpan.encode(List.of(span)) + "\n1 not enough fields";
    assertThat(OpenSpan.decode(text)).containsExactly(
        new OpenSpan(span.traceId(), span.spanId(), span.parentSpanId(), true, 42L, SpanKind.INTERNAL,
            "io.servo.worker", "POST /x with a break"));
    assertThat(OpenSpan.decode(null)).isEmpty();
    assertThat(Optional.of(span.parentSpanContext()).map(c -> c.isValid())).contains(false);
  }
}
