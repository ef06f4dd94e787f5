package io.servo.orchestrator.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.servo.core.json.Json;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.orchestrator.testing.ApiClient.Response;
import io.servo.orchestrator.testing.RecordingWorker.Received;
import io.servo.orchestrator.testing.TestOrchestrator;
import io.servo.storage.NewExecution;
import io.servo.storage.StoredWorkflow;
import io.servo.telemetry.jdbc.JdbcTracing;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrchestratorTracingTest {
  private static final String WORKFLOW = """
      workflow: nightly
      assets:
        - {name: load, kind: sql, sql: SELECT 1}
      """;
  private static final String START = "/v1/workflows/nightly/executions";
  private static final String CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
  private static final String MARKER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final String MARKER = "00-" + MARKER_TRACE_ID + "-b7ad6b7169203331-01";
  private static final String CALLER_SAMPLED = "00-" + CALLER_TRACE_ID + "-" + CALLER_SPAN_ID + "-01";

  @TempDir Path dir;
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private OpenTelemetrySdk sdk;
  private TestOrchestrator orchestrator;

  @AfterEach
  void tearDown() {
    if (orchestrator != null) {
      orchestrator.close();
    }
    if (sdk != null) {
      sdk.close();
    }
  }

  @Test
  void oneTraceFromTheRequestToTheHandOver() throws Exception {
    start(1.0, Map.of(), UnaryOperator.identity());

    Response r = orchestrator.api().post(START, "tokA", null);

    assertThat(r.status()).isEqualTo(201);
    String id = r.json().get("execution_id").asText();
    String traceId = r.json().get("trace_id").asText();
    assertThat(traceId).matches("[0-9a-f]{32}");
    assertThat(orchestrator.storage.executions().find("a", id).orElseThrow().traceId()).isEqualTo(traceId);
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1
        && named("local_queue.enqueue").isPresent() && named("cloud_tasks.enqueue").isPresent()
        && serverSpan(START).isPresent());

    List<SpanData> trace = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getTraceId().equals(traceId)).toList();
    SpanData server = serverSpan(START).orElseThrow();
    SpanData enqueue = named("orchestrator.enqueue_execution").orElseThrow();
    SpanData producer = named("cloud_tasks.enqueue").orElseThrow();
    SpanData client = named("local_queue.enqueue").orElseThrow();
    assertThat(trace).contains(server, enqueue, producer, client);

    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getAttributes().get(AttributeKey.stringKey("http.route"))).isEqualTo(START_ROUTE);
    assertThat(server.getAttributes().get(AttributeKey.stringKey("http.request.method"))).isEqualTo("POST");
    assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(201L);
    assertThat(server.getAttributes().get(AttributeKey.stringKey("url.path"))).isEqualTo(START);
    // Start attributes are extracted only once the span is known to record (RecordedOnlyAttributes):
    // the exported span still carries them all.
    assertThat(server.getAttributes().get(AttributeKey.stringKey("url.scheme"))).isEqualTo("http");
    assertThat(server.getAttributes().get(AttributeKey.stringKey("server.address"))).isNotBlank();

    assertThat(enqueue.getKind()).isEqualTo(SpanKind.INTERNAL);
    assertThat(enqueue.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(enqueue.getAttributes().get(AttributeKey.stringKey("servo.execution.id"))).isEqualTo(id);
    assertThat(enqueue.getAttributes().get(AttributeKey.stringKey("servo.workflow.id"))).isEqualTo("nightly");
    assertThat(enqueue.getAttributes().get(AttributeKey.stringKey("servo.tenant.id"))).isEqualTo("a");

    List<SpanData> inserts = trace.stream()
        .filter(s -> s.getParentSpanId().equals(enqueue.getSpanId()) && s.getKind() == SpanKind.CLIENT)
        .filter(s -> statement(s).startsWith("INSERT")).toList();
    assertThat(inserts).isNotEmpty();
    assertThat(inserts).allSatisfy(s -> assertThat(statement(s)).doesNotContain(id));
    assertThat(inserts).extracting(SpanData::getName)
        .anySatisfy(name -> assertThat(name).matches("INSERT (servo\\.)?executions"));

    assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(producer.getParentSpanId()).isEqualTo(enqueue.getSpanId());
    assertMessaging(producer, "exec-" + id + "-1");
    assertThat(producer.getAttributes().get(AttributeKey.stringKey("servo.execution.id"))).isEqualTo(id);
    assertThat(producer.getAttributes().get(AttributeKey.stringKey("servo.workflow.id"))).isEqualTo("nightly");
    assertThat(producer.getAttributes().get(AttributeKey.stringKey("servo.tenant.id"))).isEqualTo("a");

    assertThat(client.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(client.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertMessaging(client, "exec-" + id + "-1");

    Received task = orchestrator.worker.received().get(0);
    assertThat(producer.getSpanContext().isSampled()).isTrue();
    String producerParent = "00-" + traceId + "-" + producer.getSpanId() + "-"
        + producer.getSpanContext().getTraceFlags().asHex();
    // The producer's context travels in the signed Servo header (and the W3C one); the payload keeps
    // the context it was committed with, byte for byte.
    assertThat(task.header("X-Servo-Traceparent")).isEqualTo(producerParent);
    assertThat(task.header("traceparent")).isEqualTo(producerParent);
    assertThat(TaskPayloadCodec.decode(task.body()).trace().traceparent())
        .isEqualTo("00-" + traceId + "-" + enqueue.getSpanId() + "-" + enqueue.getSpanContext().getTraceFlags().asHex());
    assertThat(TaskSignature.create(TestOrchestrator.SECRET).verify(task::header, task.body())).isNull();
  }

  private static final String START_ROUTE = "/v1/workflows/{name}/executions";

  @Test
  void otherRoutesGetServerSpansAndTheRelaysPollingMakesNone() throws Exception {
    start(1.0, Map.of(), UnaryOperator.identity());
    String id = orchestrator.api().post(START, "tokA", null).json().get("execution_id").asText();
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    orchestrator.api().get("/v1/executions/" + id, "tokA");
    orchestrator.api().get("/health", null);

    // The relay polls every 50 ms here, many times while the spans arrive.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(serverSpan("/v1/workflows/{name}")).isPresent();
      assertThat(serverSpan("/v1/executions/{id}")).isPresent();
      assertThat(serverSpan("/health")).isPresent();
    });
    assertThat(serverSpan("/v1/executions/{id}").orElseThrow().getName()).isEqualTo("GET /v1/executions/{id}");
    // Every span belongs to a request's trace: the relay's statements start none of their own.
    List<SpanData> roots = spans.getFinishedSpanItems().stream()
        .filter(s -> !s.getParentSpanContext().isValid()).toList();
    assertThat(roots).allSatisfy(s -> assertThat(s.getKind()).isEqualTo(SpanKind.SERVER));
    assertThat(roots).hasSize(4);
  }

  @Test
  void anUnsampledExecutionKeepsItsTraceIdAndTellsTheWorkerNotToSample() throws Exception {
    start(0.0, Map.of(), UnaryOperator.identity());

    Response r = orchestrator.api().post(START, "tokA", null);

    String id = r.json().get("execution_id").asText();
    String traceId = r.json().get("trace_id").asText();
    assertThat(traceId).matches("[0-9a-f]{32}");
    assertThat(orchestrator.storage.executions().find("a", id).orElseThrow().traceId()).isEqualTo(traceId);
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    Received task = orchestrator.worker.received().get(0);
    String traceparent = TaskPayloadCodec.decode(task.body()).trace().traceparent();
    assertThat(traceparent).startsWith("00-" + traceId + "-");
    assertThat(sampled(traceparent)).isFalse();
    assertThat(task.header("traceparent")).isEqualTo(traceparent);
    assertThat(task.header("X-Servo-Traceparent")).isEqualTo(traceparent);
    assertThat(TaskSignature.create(TestOrchestrator.SECRET).verify(task::header, task.body())).isNull();
    assertThat(exportedBeforeAMarker()).isEmpty();
  }

  @Test
  void anAuthenticatedCallersContextIsTheParent() throws Exception {
    start(0.0, Map.of(), UnaryOperator.identity());

    Response r = orchestrator.api().send("POST", START, "tokA", Map.of("traceparent", CALLER_SAMPLED,
        "tracestate", "caller=1"));

    // Rate 0 at the root, but the caller sampled: the parent's decision is followed.
    assertThat(r.json().get("trace_id").asText()).isEqualTo(CALLER_TRACE_ID);
    await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan(START).isPresent());
    SpanData server = serverSpan(START).orElseThrow();
    assertThat(server.getTraceId()).isEqualTo(CALLER_TRACE_ID);
    assertThat(server.getParentSpanId()).isEqualTo(CALLER_SPAN_ID);
    assertThat(server.getSpanContext().getTraceState().get("caller")).isEqualTo("1");
    assertThat(server.getLinks()).isEmpty();
  }

  @Test
  void anAnonymousCallerCannotChooseSamplingAndIsOnlyLinked() throws Exception {
    start(0.0, Map.of("SERVO_API_TOKENS", ""), UnaryOperator.identity());

    Response r = orchestrator.api().send("POST", START, null, Map.of("traceparent", CALLER_SAMPLED));

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().get("trace_id").asText()).isNotEqualTo(CALLER_TRACE_ID);
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    assertThat(sampled(TaskPayloadCodec.decode(orchestrator.worker.received().get(0).body()).trace()
        .traceparent())).isFalse();
    // No caller can sample here (all are anonymous at rate 0), so no marker span: the relay marks the
    // task handed over after its spans of the hand-over ended.
    TaskPayload delivered = TaskPayloadCodec.decode(orchestrator.worker.received().get(0).body());
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.storage.outbox()
        .pendingFor(delivered.tenant(), delivered.executionId()).isEmpty());
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void anAnonymousCallersContextIsALinkWithoutItsTraceState() throws Exception {
    start(1.0, Map.of("SERVO_API_TOKENS", ""), UnaryOperator.identity());

    orchestrator.api().send("POST", START, null, Map.of("traceparent", CALLER_SAMPLED,
        "tracestate", "pushed=1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan(START).isPresent());
    SpanData server = serverSpan(START).orElseThrow();
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getTraceId()).isNotEqualTo(CALLER_TRACE_ID);
    assertThat(server.getSpanContext().getTraceState().isEmpty()).isTrue();
    assertThat(server.getLinks()).singleElement().satisfies(link -> {
      assertThat(link.getSpanContext().getTraceId()).isEqualTo(CALLER_TRACE_ID);
      assertThat(link.getSpanContext().getSpanId()).isEqualTo(CALLER_SPAN_ID);
      assertThat(link.getSpanContext().getTraceState().isEmpty()).isTrue();
    });
  }

  @Test
  void linkModeLinksEvenAuthenticatedCallers() throws Exception {
    start(1.0, Map.of("SERVO_TRACE_INBOUND", "link"), UnaryOperator.identity());

    orchestrator.api().send("POST", START, "tokA", Map.of("traceparent", CALLER_SAMPLED));

    await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan(START).isPresent());
    SpanData server = serverSpan(START).orElseThrow();
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getLinks()).singleElement()
        .satisfies(link -> assertThat(link.getSpanContext().getSpanId()).isEqualTo(CALLER_SPAN_ID));
  }

  @Test
  void ignoreModeNeitherParentsNorLinks() throws Exception {
    start(1.0, Map.of("SERVO_TRACE_INBOUND", "ignore"), UnaryOperator.identity());

    Response r = orchestrator.api().send("POST", START, "tokA", Map.of("traceparent", CALLER_SAMPLED));

    assertThat(r.json().get("trace_id").asText()).isNotEqualTo(CALLER_TRACE_ID);
    await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan(START).isPresent());
    SpanData server = serverSpan(START).orElseThrow();
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getLinks()).isEmpty();
  }

  @Test
  void aRequestThatFailsAuthenticationGetsNothingFromItsHeaders() throws Exception {
    start(1.0, Map.of(), UnaryOperator.identity());

    Response r = orchestrator.api().send("POST", START, "wrong-token",
        Map.of("traceparent", CALLER_SAMPLED, "tracestate", "pushed=1"));

    assertThat(r.status()).isEqualTo(401);
    await().atMost(Duration.ofSeconds(5)).until(() -> serverSpan(START).isPresent());
    SpanData server = serverSpan(START).orElseThrow();
    assertThat(server.getTraceId()).isNotEqualTo(CALLER_TRACE_ID);
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getLinks()).isEmpty();
    assertThat(server.getSpanContext().getTraceState().isEmpty()).isTrue();
    assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(401L);
  }

  @Test
  void aRejectedRequestCannotForceSampling() throws Exception {
    start(0.0, Map.of(), UnaryOperator.identity());

    assertThat(orchestrator.api().send("POST", START, null, Map.of("traceparent", CALLER_SAMPLED)).status())
        .isEqualTo(401);

    assertThat(exportedBeforeAMarker()).isEmpty();
  }

  @Test
  void withTracingDisabledTheCommittedBytesAreDeliveredUnchanged() throws Exception {
    List<byte[]> committed = new CopyOnWriteArrayList<>();
    orchestrator = TestOrchestrator.prepare(dir, Map.of());
    orchestrator.startServer(b -> b.openTelemetry(OpenTelemetry.noop())
        .queueDecorator(q -> new Capturing(q, committed)));
    orchestrator.api().put("/v1/workflows/nightly", "tokA", WORKFLOW);

    Response r = orchestrator.api().post(START, "tokA", null);

    assertThat(r.json().get("trace_id").isNull()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    Received task = orchestrator.worker.received().get(0);
    assertThat(committed).hasSize(1);
    assertThat(task.body()).isEqualTo(committed.get(0));
    assertThat(TaskPayloadCodec.decode(task.body()).trace().isEmpty()).isTrue();
    assertThat(task.header("traceparent")).isNull();
    assertThat(task.header("X-Servo-Traceparent")).isNull();
    assertThat(OrchestratorTracing.create(OpenTelemetry.noop(), OrchestratorConfig.TraceInbound.PARENT)
        .enabled()).isFalse();
  }

  @Test
  void aPayloadWithoutTraceIsHandedOverUntouchedAndUntraced() throws Exception {
    start(1.0, Map.of(), UnaryOperator.identity());
    StoredWorkflow wf = orchestrator.storage.workflows().latest("a", "nightly").orElseThrow();
    String id = UUID.randomUUID().toString();
    byte[] payload = TaskPayloadCodec.encode(new TaskPayload(TaskPayload.CURRENT_VERSION, id, "a", "nightly",
        wf.version(), Json.mapper().readTree(wf.definitionJson()), Instant.now(), TraceMetadata.EMPTY));
    orchestrator.storage.executions().create(
        new NewExecution(id, "a", "nightly", wf.version(), null, null), "exec-" + id + "-1", payload);
    spans.reset();

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);

    Received task = orchestrator.worker.received().get(0);
    assertThat(task.body()).isEqualTo(payload);
    assertThat(task.header("traceparent")).isNull();
    assertThat(task.header("X-Servo-Traceparent")).isNull();
    assertThat(exportedBeforeAMarker()).isEmpty();
  }

  @Test
  void aTracedPayloadIsDeliveredByteForByteWithTheProducerInTheSignedHeaders() throws Exception {
    start(1.0, Map.of(), UnaryOperator.identity());
    StoredWorkflow wf = orchestrator.storage.workflows().latest("a", "nightly").orElseThrow();
    String id = UUID.randomUUID().toString();
    String committed = "00-" + CALLER_TRACE_ID + "-" + CALLER_SPAN_ID + "-01";
    byte[] payload = TaskPayloadCodec.encode(new TaskPayload(TaskPayload.CURRENT_VERSION, id, "a", "nightly",
        wf.version(), Json.mapper().readTree(wf.definitionJson()), Instant.now(),
        new TraceMetadata(committed, "servo=1")));
    orchestrator.storage.executions().create(
        new NewExecution(id, "a", "nightly", wf.version(), null, null), "exec-" + id + "-1", payload);

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1
        && named("cloud_tasks.enqueue").isPresent());

    Received task = orchestrator.worker.received().get(0);
    SpanData producer = named("cloud_tasks.enqueue").orElseThrow();
    assertThat(producer.getParentSpanId()).isEqualTo(CALLER_SPAN_ID);
    assertThat(task.body()).isEqualTo(payload);
    assertThat(task.header("X-Servo-Traceparent"))
        .isEqualTo("00-" + CALLER_TRACE_ID + "-" + producer.getSpanId() + "-01");
    assertThat(task.header("X-Servo-Tracestate")).isEqualTo("servo=1");
    assertThat(TaskSignature.create(TestOrchestrator.SECRET).verify(task::header, task.body())).isNull();
  }

  @Test
  void eachHandOverAttemptIsItsOwnProducerSpanAndARefusalIsAnError() throws Exception {
    start(1.0, Map.of(), b -> b.queueDecorator(q -> new Refusing(q, 2)));

    String traceId = orchestrator.api().post(START, "tokA", null).json().get("trace_id").asText();

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1
        && all("cloud_tasks.enqueue").size() == 3);
    List<SpanData> attempts = all("cloud_tasks.enqueue");
    SpanData enqueue = named("orchestrator.enqueue_execution").orElseThrow();
    assertThat(attempts).allSatisfy(a -> {
      assertThat(a.getTraceId()).isEqualTo(traceId);
      assertThat(a.getParentSpanId()).isEqualTo(enqueue.getSpanId());
    });
    assertThat(attempts.stream().filter(a -> a.getStatus().getStatusCode() == StatusCode.ERROR)).hasSize(2)
        .allSatisfy(a -> assertThat(a.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception")));
    SpanData delivered = attempts.stream()
        .filter(a -> a.getStatus().getStatusCode() != StatusCode.ERROR).findFirst().orElseThrow();
    assertThat(orchestrator.worker.received().get(0).header("X-Servo-Traceparent"))
        .contains(delivered.getSpanId());
  }

  @Test
  void getShowsTheTraceIdAndItsLink() throws Exception {
    start(1.0, Map.of(), b -> b.traceLinks(t -> Optional.of("http://traces.example/trace/" + t)));
    Response started = orchestrator.api().post(START, "tokA", null);
    String id = started.json().get("execution_id").asText();
    String traceId = started.json().get("trace_id").asText();

    Response r = orchestrator.api().get("/v1/executions/" + id, "tokA");

    assertThat(r.json().get("trace_id").asText()).isEqualTo(traceId);
    assertThat(r.json().get("trace_url").asText()).isEqualTo("http://traces.example/trace/" + traceId);
  }

  @Test
  void getOmitsTheLinkWhenThereIsNone() throws Exception {
    start(1.0, Map.of(), UnaryOperator.identity());
    String id = orchestrator.api().post(START, "tokA", null).json().get("execution_id").asText();

    Response r = orchestrator.api().get("/v1/executions/" + id, "tokA");

    assertThat(r.json().get("trace_id").asText()).matches("[0-9a-f]{32}");
    assertThat(r.json().has("trace_url")).isFalse();
  }

  @Test
  void getShowsTheInMemoryWaterfallOnlyWhenAskedFor() throws Exception {
    start(1.0, Map.of(), b -> b.traceWaterfall(t -> Optional.of("waterfall of " + t)));
    Response started = orchestrator.api().post(START, "tokA", null);
    String id = started.json().get("execution_id").asText();
    String traceId = started.json().get("trace_id").asText();

    Response plain = orchestrator.api().get("/v1/executions/" + id, "tokA");
    Response withTrace = orchestrator.api().get("/v1/executions/" + id + "?include=trace", "tokA");

    assertThat(plain.json().has("trace_waterfall")).isFalse();
    assertThat(withTrace.json().get("trace_waterfall").asText()).isEqualTo("waterfall of " + traceId);
  }

  private void start(double rate, Map<String, String> env, UnaryOperator<OrchestratorServer.Builder> more)
      throws Exception {
    sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(rate)))
            .addSpanProcessor(SimpleSpanProcessor.create(spans))
            .build())
        .setPropagators(ContextPropagators.create(ServoTraceContextPropagator.getInstance()))
        .build();
    orchestrator = TestOrchestrator.prepare(dir, env, ds -> JdbcTracing.wrapDataSource(sdk, ds));
    orchestrator.startServer(b -> more.apply(b.openTelemetry(sdk)));
    String token = env.containsKey("SERVO_API_TOKENS") ? null : "tokA";
    assertThat(orchestrator.api().put("/v1/workflows/nightly", token, WORKFLOW).status()).isEqualTo(201);
  }

  /**
   * What was exported apart from a marker: an authenticated request, sampled by its caller, sent now.
   * Once the marker's span is exported, the spans that ended before it have been exported too.
   */
  private List<SpanData> exportedBeforeAMarker() {
    orchestrator.api().send("GET", "/v1/executions/" + UUID.randomUUID(), "tokA", Map.of("traceparent", MARKER));
    await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> s.getTraceId().equals(MARKER_TRACE_ID)));
    return spans.getFinishedSpanItems().stream().filter(s -> !s.getTraceId().equals(MARKER_TRACE_ID)).toList();
  }

  private Optional<SpanData> named(String name) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst();
  }

  private List<SpanData> all(String name) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
  }

  private Optional<SpanData> serverSpan(String route) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == SpanKind.SERVER)
        .filter(s -> route.equals(s.getAttributes().get(AttributeKey.stringKey("http.route")))
            || route.equals(s.getAttributes().get(AttributeKey.stringKey("url.path"))))
        .findFirst();
  }

  private static String statement(SpanData span) {
    String text = span.getAttributes().get(AttributeKey.stringKey("db.query.text"));
    return text != null ? text : "";
  }

  private static void assertMessaging(SpanData span, String taskName) {
    assertThat(span.getAttributes().get(AttributeKey.stringKey("messaging.system"))).isEqualTo("gcp_cloud_tasks");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("messaging.destination.name"))).isEqualTo("servo-local");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("messaging.message.id"))).isEqualTo(taskName);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("messaging.operation.type"))).isEqualTo("send");
  }

  /** Records the bytes the relay hands over. */
  private record Capturing(TaskQueue delegate, List<byte[]> bodies) implements TaskQueue {
    @Override
    public void enqueue(QueuedTask task) throws QueueException {
      bodies.add(task.body());
      delegate.enqueue(task);
    }

    @Override
    public String name() {
      return delegate.name();
    }
  }

  /** Refuses the first {@code failures} hand-overs, retryably. */
  private static final class Refusing implements TaskQueue {
    private final TaskQueue delegate;
    private final int failures;
    private final AtomicInteger calls = new AtomicInteger();

    Refusing(TaskQueue delegate, int failures) {
      this.delegate = delegate;
      this.failures = failures;
    }

    @Override
    public void enqueue(QueuedTask task) throws QueueException {
      if (calls.incrementAndGet() <= failures) {
        throw new QueueException("queue unavailable (test)", true, null);
      }
      delegate.enqueue(task);
    }

    @Override
    public String name() {
      return delegate.name();
    }
  }

  /** The sampled bit of a traceparent's flags (the SDK also sets the random-trace-id bit, 0x02). */
  private static boolean sampled(String traceparent) {
    return (Integer.parseInt(traceparent.substring(53, 55), 16) & 0x01) != 0;
  }
}
