package io.servo.worker.tracing;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.TestPrograms;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The worker's part of an execution's trace, end to end: a producer span made here as the
 * orchestrator makes it, its context in the signed payload and the headers, a real worker over
 * SQLite, real subprocesses and HTTP, and the spans in memory.
 */
class WorkerTracingTest {
  private static final String SECRET = "sup3r-s3cret-value-never-on-a-span";
  private static final AttributeKey<String> LINK_REASON = AttributeKey.stringKey("servo.link.reason");

  @TempDir Path dir;
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private OpenTelemetrySdk otel;
  private CallLog callee;
  private TestPrograms probe;
  private WorkerHarness worker;
  /** The span names finished when the worker last ran its before-response hook. */
  private final java.util.concurrent.atomic.AtomicReference<List<String>> finishedBeforeResponse =
      new java.util.concurrent.atomic.AtomicReference<>();

  @BeforeEach
  void setUp() {
    otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setPropagators(ContextPropagators.create(ServoTraceContextPropagator.getInstance()))
        .build();
    callee = CallLog.start();
    probe = TestPrograms.writeTo(dir);
    worker = WorkerHarness.start(dir, Map.of("SECRET", SECRET),
        builder -> builder.openTelemetry(otel).beforeResponse(() -> finishedBeforeResponse.set(
            spans.getFinishedSpanItems().stream().map(SpanData::getName).toList())));
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
    otel.close();
  }

  /** The orchestrator's producer span, ended; its context is what travels with the task. */
  private SpanContext producer(boolean sampled) {
    if (!sampled) {
      return SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c",
          "b7ad6b7169203331", io.opentelemetry.api.trace.TraceFlags.getDefault(),
          io.opentelemetry.api.trace.TraceState.getDefault());
    }
    Span span = otel.getTracer("test-orchestrator").spanBuilder("cloud_tasks.enqueue")
        .setSpanKind(SpanKind.PRODUCER).setParent(Context.root()).startSpan();
    span.end();
    return span.getSpanContext();
  }

  private static Map<String, String> w3c(SpanContext context) {
    Map<String, String> fields = new HashMap<>();
    MapCarrier.inject(ServoTraceContextPropagator.getInstance(),
        Context.root().with(Span.wrap(context)), fields);
    return fields;
  }

  private static TraceMetadata trace(SpanContext context) {
    Map<String, String> fields = w3c(context);
    return new TraceMetadata(fields.get("traceparent"), fields.get("tracestate"));
  }

  /**
   * The headers of the orchestrator's hand-over: {@code signed} in Servo's trace headers, signed with
   * the body, and {@code w3cContext} in the (unsigned) W3C {@code traceparent}.
   */
  private Map<String, String> headers(byte[] body, SpanContext w3cContext, SpanContext signed) {
    Map<String, String> headers = new HashMap<>(
        worker.sign(signed == null ? TraceMetadata.EMPTY : trace(signed), body));
    headers.put("X-CloudTasks-QueueName", "servo-tasks");
    headers.put("X-CloudTasks-TaskName", "projects/p/locations/l/queues/servo-tasks/tasks/t1");
    headers.put("X-CloudTasks-TaskExecutionCount", "0");
    if (w3cContext != null) {
      headers.put("traceparent", w3c(w3cContext).get("traceparent"));
    }
    return headers;
  }

  private String argv(String... args) {
    StringBuilder s = new StringBuilder("[");
    for (String part : probe.command(args)) {
      s.append(s.length() > 1 ? ", " : "").append('"').append(part.replace("\\", "\\\\")).append('"');
    }
    return s.append(']').toString();
  }

  private List<SpanData> workerSpans() {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> !s.getInstrumentationScopeInfo().getName().equals("test-orchestrator"))
        .toList();
  }

  private static SpanData one(List<SpanData> spans, String name) {
    List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).as("spans named %s", name).hasSize(1);
    return named.get(0);
  }

  private static SpanData asset(List<SpanData> spans, String asset) {
    return spans.stream()
        .filter(s -> s.getName().equals("worker.execute_asset")
            && asset.equals(s.getAttributes().get(AttributeKey.stringKey("servo.asset.name"))))
        .findFirst().orElseThrow();
  }

  private static List<SpanData> childrenOf(List<SpanData> spans, SpanData parent) {
    return spans.stream().filter(s -> s.getParentSpanId().equals(parent.getSpanId())).toList();
  }

  @Test
  void oneTraceFromTheProducerSpanThroughEveryAsset() {
    SpanContext producer = producer(true);
    var task = worker.newExecution("""
        workflow: daily_sales
        tenant: acme
        assets:
          - name: raw_orders
            kind: sql
            sql: |
              CREATE TABLE orders (id INTEGER, note TEXT);
              INSERT INTO orders VALUES (1, 'secret-literal');
              SELECT * FROM orders WHERE note = 'secret-literal';
          - name: cleaned_orders
            kind: command
            command: %s
            depends_on: [raw_orders]
          - name: notify
            kind: http
            method: POST
            url: %s/hook?token=${env:SECRET}
            headers: {Authorization: "Bearer ${env:SECRET}"}
            depends_on: [cleaned_orders]
        """.formatted(argv("print-env", "TRACEPARENT"), callee.baseUrl()), trace(producer));

    Map<String, String> headers = headers(task.body(), producer, producer);
    long eta = worker.clock().instant().minusSeconds(90).getEpochSecond();
    headers.put("X-CloudTasks-TaskETA", eta + ".500000");

    HttpResponse<String> response = worker.post(task.body(), headers);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("succeeded");
    List<SpanData> all = workerSpans();
    assertThat(all).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(producer.getTraceId()));

    SpanData server = one(all, "POST /execute");
    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(server.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertThat(server.getLinks()).isEmpty();
    assertThat(server.getAttributes().get(AttributeKey.stringKey("http.route"))).isEqualTo("/execute");
    assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200);

    SpanData consumer = one(all, "worker.execute_workflow");
    assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(consumer.getParentSpanId()).isEqualTo(server.getSpanId());
    var attributes = consumer.getAttributes().asMap();
    assertThat(attributes).containsEntry(AttributeKey.stringKey("servo.execution.id"), task.executionId())
        .containsEntry(AttributeKey.stringKey("servo.workflow.id"), "daily_sales")
        .containsEntry(AttributeKey.stringKey("servo.tenant.id"), "acme")
        .containsEntry(AttributeKey.longKey("servo.asset_count"), 3L)
        .containsEntry(AttributeKey.longKey("servo.execution.attempt"), 1L)
        .containsEntry(AttributeKey.stringKey("messaging.system"), "gcp_cloud_tasks")
        .containsEntry(AttributeKey.stringKey("messaging.destination.name"), "servo-tasks")
        .containsEntry(AttributeKey.stringKey("messaging.message.id"),
            "projects/p/locations/l/queues/servo-tasks/tasks/t1")
        .containsEntry(AttributeKey.stringKey("messaging.operation.type"), "process")
        .containsEntry(AttributeKey.longKey("messaging.gcp_cloud_tasks.task.retry_count"), 0L)
        .containsEntry(AttributeKey.longKey("messaging.gcp_cloud_tasks.task.execution_count"), 0L);
    assertThat(consumer.getAttributes().get(AttributeKey.longKey("servo.queue.wait_ms")))
        .isBetween(89_000L, 150_000L);
    assertThat(consumer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    List<SpanData> assets = childrenOf(all, consumer);
    assertThat(assets).extracting(SpanData::getName).containsOnly("worker.execute_asset");
    assertThat(assets).extracting(s -> s.getAttributes().get(AttributeKey.stringKey("servo.asset.kind")))
        .containsExactlyInAnyOrder("sql", "command", "http");

    SpanData sql = asset(all, "raw_orders");
    List<SpanData> statements = childrenOf(all, sql);
    assertThat(statements).hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(s -> assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT));
    assertThat(statements).extracting(SpanData::getName).contains("INSERT orders");
    assertThat(statements).allSatisfy(s -> assertThat(s.getAttributes().get(AttributeKey.stringKey("db.system.name")))
        .isNotNull());
    assertThat(statements).extracting(s -> s.getAttributes().get(AttributeKey.stringKey("db.query.text")))
        .anySatisfy(statement -> assertThat(statement).startsWith("INSERT INTO orders"))
        .allSatisfy(statement -> assertThat(statement).doesNotContain("secret-literal"));

    SpanData http = asset(all, "notify");
    SpanData client = one(childrenOf(all, http), "POST");
    assertThat(client.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(callee.traceparent("/hook"))
        .isEqualTo("00-" + producer.getTraceId() + "-" + client.getSpanId() + "-"
            + producer.getTraceFlags().asHex());
    assertThat(client.getAttributes().get(AttributeKey.stringKey("url.full")))
        .isEqualTo(callee.baseUrl() + "/hook");

    SpanData command = asset(all, "cleaned_orders");
    assertThat(json(response).get("assets").get(1).get("output").asText())
        .contains("TRACEPARENT=00-" + producer.getTraceId() + "-" + command.getSpanId() + "-"
            + producer.getTraceFlags().asHex());

    assertThat(all.toString()).doesNotContain(SECRET).doesNotContain("secret-literal");
    // The hook (the CLI's bounded flush) runs once every span of the delivery has ended.
    assertThat(finishedBeforeResponse.get()).contains("POST /execute", "worker.execute_workflow")
        .hasSize(spans.getFinishedSpanItems().size());
  }

  @Test
  void aRewrittenFrontEndTraceparentBecomesALinkAndTheSignedContextStaysTheParent() {
    SpanContext producer = producer(true);
    SpanContext rewritten = SpanContext.createFromRemoteParent(producer.getTraceId(),
        "1111111111111111", producer.getTraceFlags(), producer.getTraceState());
    var task = worker.newExecution(oneHttpAsset(), trace(producer));

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), rewritten, producer));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<SpanData> all = workerSpans();
    SpanData server = one(all, "POST /execute");
    SpanData consumer = one(all, "worker.execute_workflow");
    assertThat(server.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertThat(consumer.getParentSpanId()).isEqualTo(server.getSpanId());
    for (SpanData span : List.of(server, consumer)) {
      assertThat(span.getLinks()).singleElement().satisfies(link -> {
        assertThat(link.getSpanContext().getSpanId()).isEqualTo("1111111111111111");
        assertThat(link.getSpanContext().getTraceId()).isEqualTo(producer.getTraceId());
        assertThat(link.getAttributes().get(LINK_REASON)).isEqualTo("front_end_traceparent");
      });
    }
  }

  @Test
  void withTheHeadersStrippedThePayloadAloneCarriesTheTrace() {
    SpanContext producer = producer(true);
    var task = worker.newExecution(oneHttpAsset(), trace(producer));

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), null, null));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    SpanData server = one(workerSpans(), "POST /execute");
    assertThat(server.getTraceId()).isEqualTo(producer.getTraceId());
    assertThat(server.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertThat(server.getLinks()).isEmpty();
  }

  @Test
  void withoutATraceInThePayloadTheSignedHeadersAreTheParent() {
    SpanContext producer = producer(true);
    SpanContext rewritten = SpanContext.createFromRemoteParent(producer.getTraceId(),
        "2222222222222222", producer.getTraceFlags(), producer.getTraceState());
    var task = worker.newExecution(oneHttpAsset());

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), rewritten, producer));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    SpanData server = one(workerSpans(), "POST /execute");
    assertThat(server.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertThat(server.getLinks()).extracting(link -> link.getSpanContext().getSpanId())
        .containsExactly("2222222222222222");
  }

  /** Found by HostileDeliveryFuzzTest (seed 8147775347270705356): its count of SERVER spans was wrong. */
  @Test
  void aSignedPayloadWhoseTraceDoesNotParseDefersToTheSignedHeadersAndTheirSamplingDecision() {
    // Version 00 allows exactly 55 characters: this trace-id is too long, so the field is invalid.
    TraceMetadata unparsable =
        new TraceMetadata("00-" + "bf9c788847044049b49b360e58b8c".repeat(3) + "-a6245b7d5420ad43-01", "servo=signed");
    SpanContext unsampled = producer(false);
    var task = worker.newExecution(oneHttpAsset(), unparsable);

    HttpResponse<String> quiet = worker.post(task.body(), headers(task.body(), null, unsampled));

    assertThat(quiet.statusCode()).as(quiet.body()).isEqualTo(200);
    assertThat(json(quiet).get("state").asText()).isEqualTo("succeeded");
    assertThat(spans.getFinishedSpanItems()).as("the signed headers say: not sampled").isEmpty();
    assertThat(callee.traceparent("/ping"))
        .isEqualTo("00-" + unsampled.getTraceId() + "-" + unsampled.getSpanId() + "-00");

    SpanContext sampled = producer(true);
    var again = worker.newExecution(oneHttpAsset(), unparsable);
    HttpResponse<String> recorded = worker.post(again.body(), headers(again.body(), null, sampled));

    assertThat(recorded.statusCode()).as(recorded.body()).isEqualTo(200);
    SpanData server = one(workerSpans(), "POST /execute");
    assertThat(server.getTraceId()).isEqualTo(sampled.getTraceId());
    assertThat(server.getParentSpanId()).isEqualTo(sampled.getSpanId());
    assertThat(server.getSpanContext().getTraceState().isEmpty()).as("the unparsed field's trace state is not kept").isTrue();
  }

  @Test
  void withoutAnyContextTheWorkerStartsANewTrace() {
    var task = worker.newExecution(oneHttpAsset());

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), null, null));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<SpanData> all = workerSpans();
    SpanData server = one(all, "POST /execute");
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(all).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(server.getTraceId()));
    assertThat(one(all, "worker.execute_workflow").getParentSpanId()).isEqualTo(server.getSpanId());
  }

  @Test
  void aRequestWithABadSignatureGetsNoSpanFromItsTraceparent() {
    var task = worker.newExecution(oneHttpAsset());
    String attackerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    Map<String, String> headers = new HashMap<>(worker.sign(task.body()));
    headers.put("X-Servo-Signature", "v1=" + "0".repeat(64));
    headers.put("traceparent", "00-" + attackerTrace + "-00f067aa0ba902b7-01");
    headers.put("tracestate", "attacker=1");
    headers.put("X-Servo-Traceparent", "00-" + attackerTrace + "-00f067aa0ba902b7-01");

    HttpResponse<String> response = worker.post(task.body(), headers);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(spans.getFinishedSpanItems()).isEmpty();
    assertThat(callee.calls()).isEmpty();
  }

  /** Servo's trace headers as sent, then changed, added or removed: each case must fail authentication. */
  static Stream<Arguments> traceHeadersChangedAfterSigning() {
    String forged = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    return Stream.of(
        Arguments.of("X-Servo-Traceparent replaced", true, "X-Servo-Traceparent", forged),
        Arguments.of("X-Servo-Tracestate added", true, "X-Servo-Tracestate", "attacker=1"),
        Arguments.of("X-Servo-Traceparent removed", true, "X-Servo-Traceparent", null),
        Arguments.of("X-Servo-Traceparent added to an untraced task", false, "X-Servo-Traceparent", forged));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("traceHeadersChangedAfterSigning")
  void servoTraceHeadersChangedAfterSigningFailAuthenticationAndChooseNothing(String change, boolean traced,
      String header, String value) {
    SpanContext producer = producer(true);
    var task = traced ? worker.newExecution(oneHttpAsset(), trace(producer)) : worker.newExecution(oneHttpAsset());
    Map<String, String> headers = headers(task.body(), traced ? producer : null, traced ? producer : null);
    spans.reset();
    if (value == null) {
      headers.remove(header);
    } else {
      headers.put(header, value);
    }

    HttpResponse<String> response = worker.post(task.body(), headers);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
    assertThat(response.body()).contains("signature does not match the body and trace headers");
    assertThat(spans.getFinishedSpanItems()).as("no span, under the forged parent or any other").isEmpty();
    assertThat(callee.calls()).isEmpty();
    assertThat(worker.storage().executions().find(task.tenant(), task.executionId()).orElseThrow().state().wireName())
        .isEqualTo("pending");
  }

  @Test
  void theUnsignedW3cTraceparentAloneIsOnlyALink() {
    var task = worker.newExecution(oneHttpAsset());
    SpanContext producer = producer(true);
    spans.reset();

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), producer, null));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    SpanData server = one(workerSpans(), "POST /execute");
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    assertThat(server.getTraceId()).isNotEqualTo(producer.getTraceId());
    assertThat(server.getLinks()).extracting(link -> link.getSpanContext().getSpanId())
        .containsExactly(producer.getSpanId());
  }

  @Test
  void aSignedBodyThatIsNotAPayloadGetsNoSpanEither() {
    byte[] body = "{\"version\": 99}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Map<String, String> headers = new HashMap<>(worker.sign(body));
    headers.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

    HttpResponse<String> response = worker.post(body, headers);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void anAttemptTheQueueRetriesIsAnEventAndTheRedeliveryIsASecondConsumerSpan() {
    SpanContext producer = producer(true);
    var task = worker.newExecution("""
        workflow: outage
        assets:
          - name: first
            kind: http
            url: %s/first
          - name: second
            kind: http
            url: %s/second
            depends_on: [first]
        """.formatted(callee.baseUrl(), callee.baseUrl()), trace(producer));
    callee.onCall("/second", () -> worker.database().failNextConnections(1));

    HttpResponse<String> interrupted = worker.post(task.body(), headers(task.body(), producer, producer));

    assertThat(interrupted.statusCode()).as(interrupted.body()).isEqualTo(503);
    SpanData firstAttempt = one(workerSpans(), "worker.execute_workflow");
    assertThat(firstAttempt.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(firstAttempt.getEvents()).extracting(EventData::getName).containsExactly("exception");
    assertThat(firstAttempt.getEvents().get(0).getAttributes()
        .get(AttributeKey.stringKey("exception.message"))).contains("Servo's database failed");
    assertThat(firstAttempt.getAttributes().get(AttributeKey.longKey("servo.execution.attempt"))).isEqualTo(1L);

    spans.reset();
    callee.onCall("/second", () -> {});
    Map<String, String> retry = headers(task.body(), producer, producer);
    retry.put("X-CloudTasks-TaskRetryCount", "1");
    retry.put("X-CloudTasks-TaskExecutionCount", "1");
    HttpResponse<String> resumed = worker.post(task.body(), retry);

    assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
    List<SpanData> all = workerSpans();
    SpanData server = one(all, "POST /execute");
    SpanData secondAttempt = one(all, "worker.execute_workflow");
    assertThat(server.getParentSpanId()).isEqualTo(producer.getSpanId());
    assertThat(secondAttempt.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(secondAttempt.getSpanId()).isNotEqualTo(firstAttempt.getSpanId());
    assertThat(secondAttempt.getAttributes().get(AttributeKey.longKey("messaging.gcp_cloud_tasks.task.retry_count")))
        .isEqualTo(1L);
    assertThat(secondAttempt.getAttributes().get(AttributeKey.longKey("servo.execution.attempt"))).isEqualTo(2L);
    assertThat(secondAttempt.getEvents()).isEmpty();
    // Only the asset that had not succeeded runs again.
    assertThat(all).filteredOn(s -> s.getName().equals("worker.execute_asset"))
        .extracting(s -> s.getAttributes().get(AttributeKey.stringKey("servo.asset.name")))
        .containsExactly("second");
  }

  @Test
  void aFailedExecutionMarksItsConsumerAndAssetSpansAsErrorsAndARedeliveryIsOk() {
    SpanContext producer = producer(true);
    var task = worker.newExecution("""
        workflow: failing
        assets:
          - name: broken
            kind: http
            url: %s/fail
        """.formatted(callee.baseUrl()), trace(producer));

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), producer, producer));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("failed");
    List<SpanData> all = workerSpans();
    SpanData consumer = one(all, "worker.execute_workflow");
    assertThat(consumer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(consumer.getStatus().getDescription()).isEqualTo("execution failed: asset 'broken' failed");
    SpanData asset = asset(all, "broken");
    assertThat(asset.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    String failed = "GET " + callee.baseUrl() + " (from " + callee.baseUrl() + "/fail) failed: HTTP 500 Internal Server Error";
    assertThat(asset.getStatus().getDescription()).isEqualTo(failed);
    // The failing asset's own span says why, with the answer's body, not only a child span.
    assertThat(asset.getEvents()).singleElement().satisfies(event -> {
      assertThat(event.getName()).isEqualTo("exception");
      assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.type")))
          .isEqualTo("io.servo.asset.HttpRequestFailed");
      assertThat(event.getAttributes().get(AttributeKey.stringKey("exception.message"))).startsWith(failed + "\nHTTP 500\n");
    });

    spans.reset();
    HttpResponse<String> redelivered = worker.post(task.body(), headers(task.body(), producer, producer));

    assertThat(redelivered.statusCode()).isEqualTo(200);
    SpanData again = one(workerSpans(), "worker.execute_workflow");
    assertThat(again.getParentSpanContext().getTraceId()).isEqualTo(producer.getTraceId());
    assertThat(again.getAttributes().get(AttributeKey.booleanKey("servo.execution.redelivered"))).isTrue();
    assertThat(again.getStatus().getStatusCode()).isEqualTo(StatusCode.OK);
    assertThat(workerSpans()).noneMatch(s -> s.getName().equals("worker.execute_asset"));
  }

  @Test
  void anUnsampledParentExportsNothingButTheExecutionRuns() {
    SpanContext producer = producer(false);
    var task = worker.newExecution("""
        workflow: quiet
        assets:
          - name: probe
            kind: command
            command: %s
          - name: ping
            kind: http
            method: POST
            url: %s/ping
            headers:
              Authorization: Bearer ping-token
            body: '{"hello": "callee"}'
        """.formatted(argv("print-env", "TRACEPARENT"), callee.baseUrl()), trace(producer));

    HttpResponse<String> response = worker.post(task.body(), headers(task.body(), producer, producer));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("succeeded");
    assertThat(spans.getFinishedSpanItems()).isEmpty();
    // The decision travels on: the child and the callee see the same trace, unsampled.
    assertThat(json(response).get("assets").get(0).get("output").asText())
        .containsPattern("TRACEPARENT=00-" + producer.getTraceId() + "-[0-9a-f]{16}-00");
    // No span was started beneath the unsampled parent, not even a non-recording one for the
    // request: the callee's parent is the producer span itself.
    assertThat(callee.traceparent("/ping"))
        .isEqualTo("00-" + producer.getTraceId() + "-" + producer.getSpanId() + "-00");
    // The request is the asset's, only with the trace headers added.
    assertThat(callee.calls()).singleElement()
        .isEqualTo(new CallLog.Call("POST", "/ping", "Bearer ping-token", "{\"hello\": \"callee\"}"));
  }

  private String oneHttpAsset() {
    return """
        workflow: ping
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(callee.baseUrl());
  }

}
