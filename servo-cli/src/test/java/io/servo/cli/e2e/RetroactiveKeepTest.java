package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.servo.cli.client.ApiClient;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Retroactive keep, end to end through a real orchestrator, outbox, local queue, worker and
 * PostgreSQL at 1% head sampling: every execution that fails leaves a whole trace (orchestrator and
 * worker parts, one root, no orphan), whatever the sampler decided, and nothing else is kept. The
 * ids and the failing executions are seeded, so the sets compared are the same on every run.
 */
class RetroactiveKeepTest {
  private static final long FAILURE_SEED = 5L;
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final String TOKEN = "tok-default-0123456789abcdef";

  private TracedServices services;
  private PostgresTestDatabase database;
  private List<ServoTelemetry> telemetries;
  private ServoTelemetry workerTelemetry;
  private ServoTelemetry orchestratorTelemetry;
  private ApiClient api;
  private URI base;

  @AfterEach
  void stop() {
    if (services != null) {
      services.close();
    }
  }

  private void start(Map<String, String> extra, Clock clock, String okSql) {
    services = new TracedServices(extra, clock);
    database = services.database;
    telemetries = services.telemetries;
    workerTelemetry = services.workerTelemetry;
    orchestratorTelemetry = services.orchestratorTelemetry;
    base = services.base;
    api = new ApiClient(base, extra.containsKey("SERVO_API_TOKENS") ? TOKEN : null);
    define("ok", "workflow: ok\nassets: [{name: only, kind: sql, sql: '" + okSql + "'}]");
    define("bad", "workflow: bad\nassets:\n"
        + "  - {name: first, kind: sql, sql: SELECT 1}\n"
        + "  - {name: divide, kind: sql, sql: 'SELECT 1; SELECT 1/0', depends_on: [first]}\n");
  }

  private void define(String name, String yaml) {
    assertThat(api.put("v1/workflows/" + name, yaml.getBytes(StandardCharsets.UTF_8), "application/yaml").ok())
        .as("PUT workflow %s", name).isTrue();
  }

  /** Starts {@code failing.length} executions, of "bad" where {@code failing[i]}; returns their trace ids. */
  private final Map<String, String> executionOfTrace = new java.util.concurrent.ConcurrentHashMap<>();

  private List<String> runAll(boolean[] failing, int clients) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<String>> started = new ArrayList<>();
    for (boolean fails : failing) {
      String path = "v1/workflows/" + (fails ? "bad" : "ok") + "/executions";
      started.add(pool.submit(() -> {
        var body = api.post(path, null).body();
        executionOfTrace.put(body.path("trace_id").asText(), body.path("execution_id").asText());
        return body.path("trace_id").asText();
      }));
    }
    List<String> traceIds = new ArrayList<>();
    for (Future<String> f : started) {
      traceIds.add(f.get());
    }
    pool.shutdown();
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
        .until(() -> ended() == failing.length);
    return traceIds;
  }

  private long ended() throws Exception {
    try (Connection c = database.connect();
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT COUNT(*) FROM servo.executions WHERE state IN ('succeeded', 'failed')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static boolean[] failing(int n, double share, long seed) {
    Random random = new Random(seed);
    boolean[] failing = new boolean[n];
    for (int i = 0; i < n; i++) {
      failing[i] = random.nextDouble() < share;
    }
    return failing;
  }

  private static Set<String> headSampled(List<String> traceIds) {
    Sampler ratio = Sampler.traceIdRatioBased(0.01);
    return traceIds.stream()
        .filter(id -> ratio.shouldSample(Context.root(), id, "POST", SpanKind.SERVER, Attributes.empty(), List.of())
            .getDecision() == SamplingDecision.RECORD_AND_SAMPLE)
        .collect(Collectors.toSet());
  }

  private List<SpanData> allSpans() {
    return services.allSpans();
  }

  private static Map<String, List<SpanData>> byTrace(List<SpanData> spans) {
    return spans.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
  }

  /** One root, every parent present, spans of both services. */
  private static void assertWhole(String traceId, List<SpanData> spans) {
    Set<String> ids = spans.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
    assertThat(spans.stream().filter(s -> !s.getParentSpanContext().isValid()))
        .as("roots of trace %s", traceId).hasSize(1);
    assertThat(spans.stream().filter(s -> s.getParentSpanContext().isValid())
        .map(SpanData::getParentSpanId)).as("parents of trace %s", traceId).allMatch(ids::contains);
    assertThat(spans.stream().map(s -> s.getResource().getAttribute(SERVICE_NAME)).collect(Collectors.toSet()))
        .as("services of trace %s", traceId).contains("servo-orchestrator", "servo-worker");
  }

  private void flushUntil(Runnable assertion) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      services.flush();
      assertion.run();
    });
  }

  @Test
  void atOnePercentEveryFailedExecutionIsKeptWholeAndNothingElse() throws Exception {
    // The default cap (60 a minute) would bind here: 93 failures in half a minute.
    start(Map.of("SERVO_TRACE_KEEP_PER_MINUTE", "100000"), Clock.systemUTC(), "SELECT 1");
    int n = 2000;
    boolean[] failing = failing(n, 0.05, FAILURE_SEED);

    List<String> traceIds = runAll(failing, 8);

    Set<String> failed = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (failing[i]) {
        failed.add(traceIds.get(i));
      }
    }
    Set<String> sampled = headSampled(traceIds);
    System.out.printf("%d of %d executions failed, %d head-sampled, %d of those failed%n", failed.size(), n,
        sampled.size(), sampled.stream().filter(failed::contains).count());
    assertThat(failed).as("the seeded 5% share").hasSize(93);
    assertThat(sampled).as("the seeded ids' 1% share").hasSize(24);
    Set<String> kept = new HashSet<>(failed);
    kept.removeAll(sampled);
    Set<String> expected = new HashSet<>(failed);
    expected.addAll(sampled);

    flushUntil(() -> assertThat(byTrace(allSpans()).keySet()).isEqualTo(expected));
    Map<String, List<SpanData>> traces = byTrace(allSpans());
    for (String traceId : expected) {
      List<SpanData> spans = traces.get(traceId);
      assertWhole(traceId, spans);
      Set<String> reasons = spans.stream().map(s -> s.getAttributes().get(TraceKeep.KEPT)).collect(Collectors.toSet());
      if (kept.contains(traceId)) {
        assertThat(reasons).as("kept trace %s says why on every span", traceId).containsExactly("error");
        assertThat(spans).extracting(SpanData::getName).contains("POST /v1/workflows/{name}/executions",
            "orchestrator.enqueue_execution", "cloud_tasks.enqueue", "POST /execute", "worker.execute_workflow",
            "worker.execute_asset");
        SpanData failedAsset = spans.stream().filter(s -> s.getName().equals("worker.execute_asset")
            && s.getStatus().getStatusCode() == StatusCode.ERROR).findFirst().orElseThrow();
        assertThat(failedAsset.getAttributes().get(AttributeKey.stringKey("servo.asset.name"))).isEqualTo("divide");
        assertThat(failedAsset.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
        assertThat(spans).as("the failing statement of trace %s", traceId).anySatisfy(s -> {
          assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT);
          assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
          assertThat(s.getParentSpanId()).isEqualTo(failedAsset.getSpanId());
          assertThat(s.getAttributes().get(AttributeKey.stringKey("db.query.text"))).contains("?/?");
        });
        assertThat(spans).as("orchestrator statements of trace %s", traceId)
            .anySatisfy(s -> assertThat(s.getName()).startsWith("INSERT servo.executions"));
      } else {
        assertThat(reasons).as("head-sampled trace %s", traceId).containsExactly((String) null);
      }
    }
    // The API (and servo status) say which executions' traces were kept.
    String keptTrace = kept.iterator().next();
    assertThat(api.get("v1/executions/" + executionOfTrace.get(keptTrace)).body().path("trace_kept").asText())
        .isEqualTo("error");
    String success = traceIds.stream().filter(id -> !expected.contains(id)).findFirst().orElseThrow();
    assertThat(api.get("v1/executions/" + executionOfTrace.get(success)).body().has("trace_kept")).isFalse();
    assertThat(TraceKeep.of(workerTelemetry.openTelemetry()).cappedTraces()).isZero();
    assertThat(TraceKeep.of(orchestratorTelemetry.openTelemetry()).overBudgetTraces()).isZero();
  }

  @Test
  void aCapPerMinuteKeepsExactlyThatManyAndCountsTheRest() throws Exception {
    Clock frozen = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);
    start(Map.of("SERVO_TRACE_KEEP_PER_MINUTE", "5"), frozen, "SELECT 1");
    boolean[] failing = new boolean[40];
    java.util.Arrays.fill(failing, true);

    List<String> traceIds = runAll(failing, 4);

    Set<String> sampled = headSampled(traceIds);
    flushUntil(() -> assertThat(byTrace(allSpans()).keySet()).hasSize(5 + sampled.size()));
    TraceKeep worker = TraceKeep.of(workerTelemetry.openTelemetry());
    assertThat(worker.keptTraces()).isEqualTo(5);
    assertThat(worker.cappedTraces()).isEqualTo(40 - 5 - sampled.size());
    byTrace(allSpans()).forEach(RetroactiveKeepTest::assertWhole);
  }

  @Test
  void withATinyMemoryBudgetEvictionsAreCountedAndWhatIsExportedIsWhole() throws Exception {
    // Slow successes keep many executions in flight: more skeletons than 16 KiB holds.
    start(Map.of("SERVO_TRACE_KEEP_BUFFER_BYTES", "16384"), Clock.systemUTC(), "SELECT pg_sleep(0.3)");
    boolean[] failing = failing(300, 0.2, FAILURE_SEED);

    List<String> traceIds = runAll(failing, 32);

    Set<String> failed = new HashSet<>();
    for (int i = 0; i < failing.length; i++) {
      if (failing[i]) {
        failed.add(traceIds.get(i));
      }
    }
    Set<String> sampled = headSampled(traceIds);
    TraceKeep orchestrator = TraceKeep.of(orchestratorTelemetry.openTelemetry());
    assertThat(orchestrator.overBudgetTraces()).as("skeletons given up for memory").isPositive();
    // Give the kept traces time to arrive, then check each one that did.
    Thread.sleep(3_000);
    services.flush();
    Map<String, List<SpanData>> traces = byTrace(allSpans());
    System.out.printf("%d failed, %d kept or sampled traces exported, %d evicted%n", failed.size(), traces.size(),
        orchestrator.overBudgetTraces());
    assertThat(traces.keySet()).allMatch(id -> failed.contains(id) || sampled.contains(id));
    traces.forEach(RetroactiveKeepTest::assertWhole);
  }

  @Test
  void aDeliveryWhoseSkeletonOutgrowsTheBudgetIsGivenUpCountedAndNotMarkedKept() throws Exception {
    // Each service has a budget of its own, at least 16 KiB: room for the orchestrator's one held
    // request (about 1.3 KB) and the worker's "bad" (two assets, 800 B), but not for a delivery of
    // 130 assets (about 17 KB by the estimate): the worker reserves 1 KiB up front and the rest part
    // by part, until the budget refuses. It used to reserve the 1 KiB only, and kept it.
    start(Map.of("SERVO_TRACE_KEEP_BUFFER_BYTES", "16384"), Clock.systemUTC(), "SELECT 1");
    StringBuilder yaml = new StringBuilder("workflow: long\nassets:\n  - {name: a0, kind: sql, sql: SELECT 1}\n");
    for (int i = 1; i < 129; i++) {
      yaml.append("  - {name: a").append(i).append(", kind: sql, sql: SELECT 1, depends_on: [a").append(i - 1)
          .append("]}\n");
    }
    yaml.append("  - {name: divide, kind: sql, sql: 'SELECT 1/0', depends_on: [a128]}\n");
    define("long", yaml.toString());

    String shortTrace = runOne("bad");
    // Exported, the orchestrator holds nothing of it any more: the next request has the budget alone.
    flushUntil(() -> assertThat(byTrace(allSpans())).containsKey(shortTrace));
    String longTrace = runOne("long");

    TraceKeep worker = TraceKeep.of(workerTelemetry.openTelemetry());
    assertThat(headSampled(List.of(shortTrace, longTrace))).as("neither is head-sampled (seeded ids)").isEmpty();
    Thread.sleep(3_000); // two polls of the orchestrator: the long one's trace would be exported by now
    services.flush();
    assertThat(byTrace(allSpans()).keySet()).containsExactly(shortTrace);
    assertWhole(shortTrace, byTrace(allSpans()).get(shortTrace));
    assertThat(worker.overBudgetTraces()).as("the long delivery's skeleton, given up").isEqualTo(1);
    assertThat(api.get("v1/executions/" + executionOfTrace.get(longTrace)).body().has("trace_kept")).isFalse();
    assertThat(api.get("v1/executions/" + executionOfTrace.get(shortTrace)).body().path("trace_kept").asText())
        .isEqualTo("error");
  }

  /** Runs one execution of {@code workflow} to its end; returns its trace id. */
  private String runOne(String workflow) throws Exception {
    var body = api.post("v1/workflows/" + workflow + "/executions", null).body();
    String executionId = body.path("execution_id").asText();
    executionOfTrace.put(body.path("trace_id").asText(), executionId);
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() ->
        java.util.Set.of("succeeded", "failed").contains(
            api.get("v1/executions/" + executionId).body().path("state").asText().toLowerCase(java.util.Locale.ROOT)));
    return body.path("trace_id").asText();
  }

  @Test
  void aRequestThatFailsAuthenticationStartsNothingAndKeepsNothing() throws Exception {
    start(Map.of("SERVO_API_TOKENS", "default:" + TOKEN), Clock.systemUTC(), "SELECT 1");
    ApiClient forged = new ApiClient(base, "tok-default-0123456789abcdeX");
    for (int i = 0; i < 50; i++) {
      assertThat(forged.post("v1/workflows/bad/executions", null).status()).isEqualTo(401);
    }
    boolean[] failing = new boolean[10];
    java.util.Arrays.fill(failing, true);
    List<String> traceIds = runAll(failing, 2);

    flushUntil(() -> assertThat(byTrace(allSpans()).keySet()).containsExactlyInAnyOrderElementsOf(traceIds));
    assertThat(TraceKeep.of(workerTelemetry.openTelemetry()).keptTraces() + headSampled(traceIds).size())
        .as("only the authenticated executions' traces").isEqualTo(10);
  }

  @Test
  void withSlowKeptAnExecutionSlowerThanTheThresholdIsKeptAndSaysSo() throws Exception {
    start(Map.of("SERVO_TRACE_KEEP", "errors,slow", "SERVO_TRACE_KEEP_SLOWER_THAN", "2s"), Clock.systemUTC(),
        "SELECT 1");
    define("slow", "workflow: slow\nassets: [{name: wait, kind: sql, sql: 'SELECT pg_sleep(3)'}]");
    List<String> slow = new ArrayList<>();
    List<String> fast = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      boolean isSlow = i % 2 == 0;
      var body = api.post("v1/workflows/" + (isSlow ? "slow" : "ok") + "/executions", null).body();
      (isSlow ? slow : fast).add(body.path("trace_id").asText());
      executionOfTrace.put(body.path("trace_id").asText(), body.path("execution_id").asText());
    }
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> ended() == 6);
    Set<String> sampled = headSampled(new ArrayList<>(executionOfTrace.keySet()));
    Set<String> expected = new HashSet<>(slow);
    expected.addAll(sampled);

    flushUntil(() -> assertThat(byTrace(allSpans()).keySet()).containsAll(expected));
    Map<String, List<SpanData>> traces = byTrace(allSpans());
    for (String traceId : slow) {
      if (!sampled.contains(traceId)) {
        assertWhole(traceId, traces.get(traceId));
        assertThat(traces.get(traceId)).allSatisfy(span ->
            assertThat(span.getAttributes().get(TraceKeep.KEPT)).isEqualTo("slow"));
      }
    }
    // An execution kept as slow took longer than the threshold by the database's own clock.
    try (Connection c = database.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT trace_id, trace_kept, "
            + "EXTRACT(EPOCH FROM ended_at - created_at) FROM servo.executions")) {
      while (rs.next()) {
        if ("slow".equals(rs.getString(2))) {
          assertThat(rs.getDouble(3)).as("trace %s", rs.getString(1)).isGreaterThan(2.0);
        }
      }
    }
  }
}
