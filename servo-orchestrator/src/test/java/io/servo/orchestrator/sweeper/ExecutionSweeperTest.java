package io.servo.orchestrator.sweeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.servo.core.execution.ExecutionState;
import io.servo.core.json.Json;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.testing.RecordingWorker.Received;
import io.servo.orchestrator.testing.TestOrchestrator;
import io.servo.orchestrator.tracing.OrchestratorTracing;
import io.servo.storage.Execution;
import io.servo.storage.NewExecution;
import io.servo.storage.OutboxTask;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.storage.StorageOptions;
import io.servo.storage.StoredWorkflow;
import io.servo.telemetry.OpenSpan;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutionSweeperTest {
  private static final String TENANT = "a";
  private static final String DEFINITION = "{\"workflow\":\"nightly\",\"tenant\":\"a\",\"assets\":[{\"name\":\"load\","
      + "\"kind\":\"sql\",\"timeout\":\"10m\",\"sql\":\"SELECT 1\"}]}";
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);
  private final AtomicInteger kicks = new AtomicInteger();
  private ServoStorage storage;
  private StoredWorkflow workflow;

  @BeforeEach
  void open() {
    storage = Storage.open("jdbc:sqlite:" + dir.resolve("servo.db"), StorageOptions.defaults().withClock(clock));
    workflow = storage.workflows().deploy(TENANT, "nightly", DEFINITION);
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void aRunningExecutionWhoseLeaseExpiredIsReEnqueuedWithItsDefinitionUnderANewName() throws Exception {
    String id = dispatchedExecution(null);
    storage.executions().claim(TENANT, id, Duration.ofSeconds(30)).orElseThrow();
    ExecutionSweeper sweeper = sweeper(PendingWithoutTask.NONE);

    clock.set(T0.plusSeconds(29));
    assertThat(sweeper.sweepOnce()).as("the lease is live").isZero();
    clock.set(T0.plusSeconds(30 + 59));
    assertThat(sweeper.sweepOnce()).as("expired, but the queue's own retry may still come").isZero();
    clock.set(T0.plusSeconds(30 + 60));
    assertThat(sweeper.sweepOnce()).isEqualTo(1);

    OutboxTask first = storage.outbox().pendingFor(TENANT, id).orElseThrow();
    assertThat(first.taskName()).isEqualTo("exec-" + id + "-" + T0.plusSeconds(90).toEpochMilli());
    TaskPayload payload = TaskPayloadCodec.decode(first.payload());
    assertThat(payload.executionId()).isEqualTo(id);
    assertThat(payload.tenant()).isEqualTo(TENANT);
    assertThat(payload.workflowVersion()).isEqualTo(workflow.version());
    assertThat(payload.definition()).isEqualTo(Json.mapper().readTree(DEFINITION));
    assertThat(payload.trace()).isEqualTo(TraceMetadata.EMPTY);
    assertThat(kicks.get()).as("the relay is kicked").isEqualTo(1);

    clock.set(T0.plusSeconds(200));
    assertThat(sweeper.sweepOnce()).as("its task is still in the outbox").isZero();
    dispatchAll();
    clock.set(T0.plusSeconds(259));
    assertThat(sweeper.sweepOnce()).as("once handed over, the redelivery gets stuckAfter to arrive").isZero();
    clock.set(T0.plusSeconds(260));
    assertThat(sweeper.sweepOnce()).as("it was lost too: again, under yet another name").isEqualTo(1);
    assertThat(storage.outbox().pendingFor(TENANT, id).orElseThrow().taskName())
        .isEqualTo("exec-" + id + "-" + T0.plusSeconds(260).toEpochMilli())
        .isNotEqualTo(first.taskName());
  }

  @Test
  void liveLeasesEndedExecutionsAndTakenOverOnesAreLeftAlone() {
    String live = dispatchedExecution(null);
    storage.executions().claim(TENANT, live, Duration.ofMinutes(10)).orElseThrow();
    String ended = dispatchedExecution(null);
    Execution claimed = storage.executions().claim(TENANT, ended, Duration.ofSeconds(1)).orElseThrow();
    assertThat(storage.executions().finish(TENANT, ended, claimed.attempt(), ExecutionState.SUCCEEDED, null)).isTrue();
    ExecutionSweeper sweeper = sweeper(PendingWithoutTask.NONE);

    clock.set(T0.plus(Duration.ofMinutes(5)));

    assertThat(sweeper.sweepOnce()).isZero();
    assertThat(storage.outbox().pendingFor(TENANT, live)).isEmpty();
    assertThat(storage.outbox().pendingFor(TENANT, ended)).isEmpty();
  }

  @Test
  void aClaimGivenBackIsReEnqueuedStuckAfterItWasFirstSeen() {
    String id = dispatchedExecution(null);
    Execution claimed = storage.executions().claim(TENANT, id, Duration.ofSeconds(30)).orElseThrow();
    assertThat(storage.executions().releaseLease(TENANT, id, claimed.attempt())).isTrue();
    ExecutionSweeper sweeper = sweeper(PendingWithoutTask.NONE);

    clock.set(T0.plusSeconds(5));
    assertThat(sweeper.sweepOnce()).as("first seen: the queue redelivers after the worker's 503").isZero();
    clock.set(T0.plusSeconds(5 + 59));
    assertThat(sweeper.sweepOnce()).isZero();
    clock.set(T0.plusSeconds(5 + 60));
    assertThat(sweeper.sweepOnce()).isEqualTo(1);
  }

  @Test
  void aPendingExecutionWhoseTaskAQueueLostIsReEnqueued() {
    String lost = dispatchedExecution(null);
    String stillInOutbox = committedExecution(null);
    ExecutionSweeper sweeper = sweeper(this::pendingWithoutTask);

    clock.set(T0.plus(Duration.ofMinutes(4)));
    assertThat(sweeper.sweepOnce()).as("a queue may legitimately hold it for a while").isZero();
    clock.set(T0.plus(Duration.ofMinutes(5)).plusMillis(1));
    assertThat(sweeper.sweepOnce()).isEqualTo(1);

    assertThat(storage.outbox().pendingFor(TENANT, lost)).get().extracting(OutboxTask::taskName)
        .isNotEqualTo("exec-" + lost + "-1");
    assertThat(storage.outbox().pendingFor(TENANT, stillInOutbox)).get().extracting(OutboxTask::taskName)
        .as("untouched: the relay will hand it over").isEqualTo("exec-" + stillInOutbox + "-1");
    assertThat(sweeper.sweepOnce()).isZero();
  }

  @Test
  void aDatabaseErrorDoesNotStopTheBackgroundSweep() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String id = dispatchedExecution(null);
    PendingWithoutTask flaky = (before, limit) -> {
      if (calls.incrementAndGet() <= 2) {
        throw new io.servo.storage.StorageException("finding stuck executions failed (test)", null);
      }
      return pendingWithoutTask(before, limit);
    };
    clock.set(T0.plus(Duration.ofMinutes(10)));
    try (ExecutionSweeper sweeper = ExecutionSweeper.builder(storage).clock(clock).interval(Duration.ofMillis(20))
        .pendingWithoutTask(flaky).afterEnqueue(kicks::incrementAndGet).build()) {
      sweeper.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> storage.outbox().pendingFor(TENANT, id).isPresent());
    }
    assertThat(calls.get()).isGreaterThan(2);
  }

  @Test
  void withTracingTheRedeliveryContinuesTheExecutionsTrace() {
    String traceId = "0af7651916cd43dd8448eb211c80319c";
    String id = dispatchedExecution(traceId);
    storage.executions().claim(TENANT, id, Duration.ofSeconds(1)).orElseThrow();
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(0.0)))
            .addSpanProcessor(SimpleSpanProcessor.create(spans))
            .build())
        .setPropagators(ContextPropagators.create(ServoTraceContextPropagator.getInstance()))
        .build()) {
      RedeliveryTrace trace = OrchestratorTracing.create(sdk, OrchestratorConfig.TraceInbound.PARENT).redeliveryTrace();
      ExecutionSweeper sweeper = ExecutionSweeper.builder(storage).clock(clock).redeliveryTrace(trace).build();
      clock.set(T0.plusSeconds(61));

      assertThat(sweeper.sweepOnce()).isEqualTo(1);

      TraceMetadata context = TaskPayloadCodec.decode(storage.outbox().pendingFor(TENANT, id).orElseThrow().payload()).trace();
      SpanData span = spans.getFinishedSpanItems().stream()
          .filter(s -> s.getName().equals("orchestrator.redeliver_execution")).findFirst().orElseThrow();
      assertThat(span.getTraceId()).isEqualTo(traceId);
      assertThat(context.traceparent()).isEqualTo("00-" + traceId + "-" + span.getSpanId() + "-01");
      assertThat(span.getAttributes().get(AttributeKey.stringKey("servo.execution.id"))).isEqualTo(id);
      assertThat(span.getAttributes().get(AttributeKey.stringKey("servo.redelivery.reason"))).isEqualTo("lease_expired");
    }
  }

  /** The sweeper of {@link #withTracingTheRedeliveryContinuesTheExecutionsTrace}, with the store's trace parents. */
  private List<SpanData> redeliver(String id, Sampler sampler) {
    storage.executions().claim(TENANT, id, Duration.ofSeconds(1)).orElseThrow();
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().setSampler(sampler)
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setPropagators(ContextPropagators.create(ServoTraceContextPropagator.getInstance()))
        .build()) {
      RedeliveryTrace trace = OrchestratorTracing.create(sdk, OrchestratorConfig.TraceInbound.PARENT,
          storage.executions(), clock).redeliveryTrace();
      ExecutionSweeper sweeper = ExecutionSweeper.builder(storage).clock(clock).redeliveryTrace(trace).build();
      clock.set(T0.plusSeconds(61));
      assertThat(sweeper.sweepOnce()).isEqualTo(1);
      return spans.getFinishedSpanItems();
    }
  }

  @Test
  void aSampledExecutionsRedeliveryIsAChildOfTheSpanItsFirstPayloadNamed() {
    String traceId = "0af7651916cd43dd8448eb211c80319c";
    String id = dispatchedExecution(traceId, "00-" + traceId + "-b7ad6b7169203331-01");

    List<SpanData> spans = redeliver(id, Sampler.parentBased(Sampler.traceIdRatioBased(0.0)));

    SpanData span = spans.stream().filter(s -> s.getName().equals("orchestrator.redeliver_execution"))
        .findFirst().orElseThrow();
    assertThat(span.getTraceId()).isEqualTo(traceId);
    assertThat(span.getParentSpanId()).as("no placeholder: the enqueue span, which was exported")
        .isEqualTo("b7ad6b7169203331");
    TraceMetadata context = TaskPayloadCodec.decode(storage.outbox().pendingFor(TENANT, id).orElseThrow().payload()).trace();
    assertThat(context.traceparent()).isEqualTo("00-" + traceId + "-" + span.getSpanId() + "-01");
  }

  @Test
  void anUnsampledExecutionsRedeliveryStaysUnsampledAndMakesNoOrphanSpan() {
    String traceId = "0af7651916cd43dd8448eb211c80319c";
    String original = "00-" + traceId + "-b7ad6b7169203331-00";
    String id = dispatchedExecution(traceId, original);

    List<SpanData> spans = redeliver(id, Sampler.parentBased(Sampler.alwaysOn()));

    assertThat(spans).as("the sampler decided at the root; a span here would be an orphan").isEmpty();
    TraceMetadata context = TaskPayloadCodec.decode(storage.outbox().pendingFor(TENANT, id).orElseThrow().payload()).trace();
    assertThat(context.traceparent()).isEqualTo(original);
  }

  @Test
  void aReEnqueuedExecutionsDeadAttemptHasItsOpenSpansEndedOnceWithTheirIds() {
    String id = dispatchedExecution(null);
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    TracingConfig tracing = TracingConfig.from(java.util.Map.of("SERVO_TRACE_ENABLED", "true",
        "SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_SAMPLE_RATE", "1.0"));
    try (ServoTelemetry deadWorker = ServoTelemetry.start(tracing, "servo-worker");
        ServoTelemetry orchestrator = ServoTelemetry.builder(tracing, "servo-orchestrator")
            .addSpanExporter(exported).start()) {
      Span consumer = deadWorker.openTelemetry().getTracer("io.servo.worker")
          .spanBuilder("worker.execute_workflow").startSpan();
      Execution claimed = storage.executions().claim(TENANT, id, Duration.ofSeconds(30),
          OpenSpan.encode(List.of(OpenSpan.of(consumer).orElseThrow()))).orElseThrow().execution();
      ExecutionSweeper sweeper = ExecutionSweeper.builder(storage).clock(clock).lostAttemptSpans(
          OrchestratorTracing.create(orchestrator.openTelemetry(), OrchestratorConfig.TraceInbound.PARENT)
              .lostAttemptSpans()).build();

      clock.set(T0.plusSeconds(90));
      assertThat(sweeper.sweepOnce()).isEqualTo(1);
      dispatchAll();
      clock.set(T0.plusSeconds(90 + 60));
      assertThat(sweeper.sweepOnce()).as("re-enqueued again: nothing left to end").isEqualTo(1);
      assertThat(orchestrator.forceFlush(Duration.ofSeconds(5))).isTrue();

      List<SpanData> lost = exported.getFinishedSpanItems().stream()
          .filter(s -> s.getName().equals("worker.execute_workflow")).toList();
      assertThat(lost).hasSize(1);
      assertThat(lost.get(0).getSpanContext().getSpanId()).isEqualTo(consumer.getSpanContext().getSpanId());
      assertThat(lost.get(0).getTraceId()).isEqualTo(consumer.getSpanContext().getTraceId());
      assertThat(lost.get(0).getStatus().getDescription())
          .isEqualTo("worker lost; lease expired at " + claimed.leaseUntil() + "; attempt 1 was taken over");
      // Ended at the sweep, or at its start when the test's clock is behind the span's real start.
      assertThat(lost.get(0).getEndEpochNanos()).isEqualTo(Math.max(lost.get(0).getStartEpochNanos(),
          TimeUnit.SECONDS.toNanos(T0.plusSeconds(90).getEpochSecond())));
      assertThat(storage.executions().claim(TENANT, id, Duration.ofSeconds(30), null).orElseThrow().lostAttempt())
          .as("the next claim finds them ended").isEmpty();
    }
  }

  @Test
  void theOrchestratorRedeliversAStuckExecutionThroughItsRelayAndQueue() throws Exception {
    try (TestOrchestrator orchestrator = TestOrchestrator.prepare(dir.resolve("e2e"))) {
      orchestrator.startServer(b -> b.sweeper(s -> s.interval(Duration.ofMillis(50)).stuckAfter(Duration.ofSeconds(1))));
      orchestrator.api().put("/v1/workflows/nightly", "tokA", "workflow: nightly\nassets: [{name: load, kind: sql, sql: SELECT 1}]");
      String id = orchestrator.api().post("/v1/workflows/nightly/executions", "tokA", null).json()
          .get("execution_id").asText();
      await().atMost(Duration.ofSeconds(5)).until(() -> orchestrator.worker.received().size() == 1);
      // A worker claimed it and died: nothing renews the lease, and the queue is done with the task.
      orchestrator.storage.executions().claim(TENANT, id, Duration.ofMillis(1)).orElseThrow();

      await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 2);

      Received first = orchestrator.worker.received().get(0);
      Received again = orchestrator.worker.received().get(1);
      assertThat(again.header("X-CloudTasks-TaskName")).matches("exec-" + id + "-\\d{13}")
          .isNotEqualTo(first.header("X-CloudTasks-TaskName"));
      assertThat(TaskSignature.create(TestOrchestrator.SECRET).verify(again::header, again.body())).isNull();
      assertThat(TaskPayloadCodec.decode(again.body()).definition())
          .isEqualTo(TaskPayloadCodec.decode(first.body()).definition());
      Thread.sleep(400);
      assertThat(orchestrator.worker.received()).as("re-enqueued once per stuckAfter, not every sweep").hasSize(2);
    }
  }

  @Test
  void aRedeliveryTakesTheSameHandOverItsProducerSpanUnderTheRedeliverySpanSignedInTheHeaders() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
                .addSpanProcessor(SimpleSpanProcessor.create(spans))
                .build())
            .setPropagators(ContextPropagators.create(ServoTraceContextPropagator.getInstance()))
            .build();
        TestOrchestrator orchestrator = TestOrchestrator.prepare(dir.resolve("traced"))) {
      orchestrator.startServer(b -> b.openTelemetry(sdk)
          .sweeper(s -> s.interval(Duration.ofMillis(50)).stuckAfter(Duration.ofSeconds(1))));
      orchestrator.api().put("/v1/workflows/nightly", "tokA", "workflow: nightly\nassets: [{name: load, kind: sql, sql: SELECT 1}]");
      String id = orchestrator.api().post("/v1/workflows/nightly/executions", "tokA", null).json()
          .get("execution_id").asText();
      await().atMost(Duration.ofSeconds(5)).until(() -> orchestrator.worker.received().size() == 1);
      orchestrator.storage.executions().claim(TENANT, id, Duration.ofMillis(1)).orElseThrow();

      await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 2
          && spans.getFinishedSpanItems().stream().filter(x -> x.getName().equals("cloud_tasks.enqueue")).count() == 2);

      Received again = orchestrator.worker.received().get(1);
      SpanData redelivery = spans.getFinishedSpanItems().stream()
          .filter(x -> x.getName().equals("orchestrator.redeliver_execution")).findFirst().orElseThrow();
      SpanData producer = spans.getFinishedSpanItems().stream()
          .filter(x -> x.getName().equals("cloud_tasks.enqueue")
              && x.getParentSpanId().equals(redelivery.getSpanId())).findFirst().orElseThrow();
      // Sampled, and the W3C random-id flag when the first payload's span had it (the SDK keeps it).
      assertThat(again.header("X-Servo-Traceparent")).isEqualTo("00-" + producer.getTraceId() + "-"
          + producer.getSpanId() + "-" + producer.getSpanContext().getTraceFlags().asHex());
      assertThat(TaskPayloadCodec.decode(again.body()).trace().traceparent()).isEqualTo("00-"
          + redelivery.getTraceId() + "-" + redelivery.getSpanId() + "-" + redelivery.getSpanContext().getTraceFlags().asHex());
      assertThat(redelivery.getSpanContext().isSampled()).isTrue();
      assertThat(spans.getFinishedSpanItems()).as("the redelivery's parent is the execution's enqueue span")
          .anySatisfy(x -> {
            assertThat(x.getName()).isEqualTo("orchestrator.enqueue_execution");
            assertThat(x.getSpanId()).isEqualTo(redelivery.getParentSpanId());
          });
      assertThat(TaskSignature.create(TestOrchestrator.SECRET).verify(again::header, again.body())).isNull();
    }
  }

  private ExecutionSweeper sweeper(PendingWithoutTask pending) {
    return ExecutionSweeper.builder(storage).clock(clock).pendingWithoutTask(pending)
        .afterEnqueue(kicks::incrementAndGet).build();
  }

  /** An execution and its first task, committed; the task still in the outbox. */
  private String committedExecution(String traceId) {
    return committedExecution(traceId, null);
  }

  private String committedExecution(String traceId, String traceParent) {
    String id = UUID.randomUUID().toString();
    byte[] payload = TaskPayloadCodec.encode(io.servo.orchestrator.execution.TaskPayloads.forExecution(
        id, workflow, clock.instant(), traceParent == null ? TraceMetadata.EMPTY : new TraceMetadata(traceParent, null)));
    storage.executions().create(new NewExecution(id, TENANT, "nightly", workflow.version(), null, traceId,
        traceParent), "exec-" + id + "-1", payload);
    return id;
  }

  /** An execution whose first task a queue accepted (it left the outbox). */
  private String dispatchedExecution(String traceId) {
    return dispatchedExecution(traceId, null);
  }

  private String dispatchedExecution(String traceId, String traceParent) {
    String id = committedExecution(traceId, traceParent);
    dispatchAll();
    return id;
  }

  private void dispatchAll() {
    for (OutboxTask task : storage.outbox().claimDue(clock.instant().plus(Duration.ofDays(1)), Duration.ofSeconds(1), 100)) {
      storage.outbox().markDispatched(task.id());
    }
  }

  /** The query servo-storage lacks (see {@link PendingWithoutTask}), on SQLite's schema. */
  private List<Execution> pendingWithoutTask(Instant createdBefore, int limit) {
    List<Execution> found = new ArrayList<>();
    try (Connection c = storage.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT tenant_id, id FROM executions e WHERE e.state = 'pending' "
            + "AND e.created_at < ? AND NOT EXISTS (SELECT 1 FROM task_outbox t WHERE t.execution_id = e.id) "
            + "ORDER BY e.created_at, e.id LIMIT ?")) {
      s.setLong(1, createdBefore.toEpochMilli());
      s.setInt(2, limit);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          found.add(storage.executions().find(r.getString(1), r.getString(2)).orElseThrow());
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  /** A clock tests move by hand. */
  private static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void set(Instant value) {
      this.now = value;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
