package io.servo.worker.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.core.execution.AssetStatus;
import io.servo.core.task.TraceMetadata;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.storage.ExecutionStore;
import io.servo.telemetry.OpenSpan;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delivery that takes over an execution whose worker died mid-asset ends the dead attempt's open
 * spans (SERVER, CONSUMER, the running asset's) with their original ids, as errors, once. The dead
 * attempt is written to the store as a dying worker leaves it: claimed with its spans recorded, its
 * asset running, its lease expired.
 */
class LostAttemptSpansTest {
  private static final TracingConfig CONFIG = TracingConfig.from(Map.of(
      "SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_SAMPLE_RATE", "1.0"));

  @TempDir Path dir;
  private final InMemorySpanExporter exported = InMemorySpanExporter.create();
  private ServoTelemetry deadWorker;
  private ServoTelemetry telemetry;
  private CallLog callee;
  private WorkerHarness worker;

  @BeforeEach
  void setUp() {
    deadWorker = ServoTelemetry.start(CONFIG, "servo-worker");
    telemetry = ServoTelemetry.builder(CONFIG, "servo-worker").addSpanExporter(exported).start();
    callee = CallLog.start();
    worker = WorkerHarness.start(dir, Map.of(), b -> b.openTelemetry(telemetry.openTelemetry()));
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
    telemetry.close();
    deadWorker.close();
  }

  @Test
  void theNextDeliveryEndsTheDeadAttemptsOpenSpansWithTheirIdsAsErrorsOnce() {
    Tracer tracer = deadWorker.openTelemetry().getTracer("io.servo.worker");
    Span producer = tracer.spanBuilder("cloud_tasks.enqueue").setSpanKind(SpanKind.PRODUCER).startSpan();
    producer.end();
    Span server = child(tracer, producer, "POST /execute", SpanKind.SERVER);
    Span consumer = child(tracer, server, "worker.execute_workflow", SpanKind.CONSUMER);
    Span asset = child(tracer, consumer, "worker.execute_asset", SpanKind.INTERNAL);
    var task = worker.newExecution("""
        workflow: resumed
        assets:
          - name: hook
            kind: http
            url: %s/hook
        """.formatted(callee.baseUrl()), trace(producer.getSpanContext()));
    ExecutionStore store = worker.storage().executions();
    Execution dead = store.claim(task.tenant(), task.executionId(), Duration.ofSeconds(60),
        OpenSpan.encode(List.of(OpenSpan.of(consumer).orElseThrow(), OpenSpan.of(server).orElseThrow())))
        .orElseThrow().execution();
    assertThat(store.recordAssetResult(task.tenant(), new AssetResult(task.executionId(), "hook", "http",
        AssetStatus.RUNNING, dead.attempt(), worker.clock().instant(), null, null, null),
        OpenSpan.encode(List.of(OpenSpan.of(asset).orElseThrow())))).isTrue();
    // kill -9: nothing ends; the lease runs out.
    worker.clock().advance(Duration.ofMinutes(2));

    assertThat(worker.post(task.body()).statusCode()).isEqualTo(200);
    assertThat(worker.post(task.body()).statusCode()).as("a redelivery of the ended execution").isEqualTo(200);
    assertThat(telemetry.forceFlush(Duration.ofSeconds(10))).isTrue();

    List<SpanData> spans = exported.getFinishedSpanItems();
    Set<String> lostIds = Set.of(id(server), id(consumer), id(asset));
    List<SpanData> lost = spans.stream().filter(s -> lostIds.contains(s.getSpanId())).toList();
    assertThat(lost).extracting(SpanData::getSpanId).as("each once").containsExactlyInAnyOrderElementsOf(lostIds);
    for (SpanData span : lost) {
      assertThat(span.getTraceId()).isEqualTo(producer.getSpanContext().getTraceId());
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getStatus().getDescription()).startsWith("worker lost; lease expired at " + dead.leaseUntil());
      assertThat(span.getAttributes().get(AttributeKey.longKey("servo.execution.attempt"))).isEqualTo(1L);
      assertThat(span.getAttributes().get(AttributeKey.stringKey("servo.execution.id"))).isEqualTo(task.executionId());
    }
    Map<String, String> parents = lost.stream()
        .collect(Collectors.toMap(SpanData::getSpanId, SpanData::getParentSpanId));
    assertThat(parents).containsEntry(id(server), id(producer)).containsEntry(id(consumer), id(server))
        .containsEntry(id(asset), id(consumer));
    assertThat(lost).extracting(SpanData::getName)
        .containsExactlyInAnyOrder("POST /execute", "worker.execute_workflow", "worker.execute_asset");

    // The taking-over delivery's own trace is whole too: every parent it names was exported, or is the producer.
    Set<String> known = spans.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
    known.add(id(producer));
    assertThat(spans).allSatisfy(s -> assertThat(known).contains(s.getParentSpanId()));
    assertThat(callee.count("/hook")).isEqualTo(1);
  }

  private static Span child(Tracer tracer, Span parent, String name, SpanKind kind) {
    return tracer.spanBuilder(name).setSpanKind(kind).setParent(Context.root().with(parent)).startSpan();
  }

  private static String id(Span span) {
    return span.getSpanContext().getSpanId();
  }

  private static TraceMetadata trace(SpanContext context) {
    Map<String, String> fields = new HashMap<>();
    MapCarrier.inject(ServoTraceContextPropagator.getInstance(), Context.root().with(Span.wrap(context)), fields);
    return new TraceMetadata(fields.get("traceparent"), fields.get("tracestate"));
  }
}
