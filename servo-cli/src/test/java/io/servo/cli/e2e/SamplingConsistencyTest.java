package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.servo.cli.client.ApiClient;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.telemetry.logging.ServoLogEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The sampling decision is made once, at the root, and every later hop follows it: over thousands
 * of executions at 1% exactly the traces whose ids the ratio sampler accepts are recorded, and every
 * trace is whole or absent. The services draw their ids from seeded generators, so the sampled set
 * is the same on every run.
 */
class SamplingConsistencyTest {
  /** How many of the executions' trace ids (draws 2 to 2001 of ORCHESTRATOR_SEED) the 1% ratio sampler accepts. */
  private static final int EXPECTED_SAMPLED = 24;

  private TracedServices services;
  private InMemorySpanExporter workerSpans;
  private InMemorySpanExporter orchestratorSpans;
  private PostgresTestDatabase database;
  private ApiClient api;

  @AfterEach
  void stop() {
    if (services != null) {
      services.close();
    }
  }

  private void start(double rate) {
    services = new TracedServices(Map.of("SERVO_TRACE_SAMPLE_RATE", Double.toString(rate)), Clock.systemUTC());
    workerSpans = services.workerSpans;
    orchestratorSpans = services.orchestratorSpans;
    database = services.database;
    api = new ApiClient(services.base, null);
    assertThat(api.put("v1/workflows/one", "workflow: one\nassets: [{name: only, kind: sql, sql: SELECT 1}]"
        .getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();
  }

  private List<String> runAll(int executions) throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(8);
    List<Future<String>> started = new ArrayList<>();
    for (int i = 0; i < executions; i++) {
      started.add(clients.submit(() -> api.post("v1/workflows/one/executions", null).body().path("trace_id").asText()));
    }
    List<String> traceIds = new ArrayList<>();
    for (Future<String> f : started) {
      traceIds.add(f.get());
    }
    clients.shutdown();
    await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> ended() == executions);
    return traceIds;
  }

  private long ended() throws Exception {
    try (Connection c = database.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM servo.executions WHERE state = 'succeeded'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Set<String> traceIdsOf(InMemorySpanExporter exporter, String spanName) {
    return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(spanName))
        .map(SpanData::getTraceId).collect(Collectors.toSet());
  }

  @Test
  void atOnePercentExactlyTheRatioSamplersTracesAreRecordedAndNoneIsPartial() throws Exception {
    start(0.01);
    int n = 2000;

    List<String> traceIds = runAll(n);

    // The orchestrator's first trace id went to the PUT of the workflow, the next n to the executions.
    SeededIds replay = new SeededIds(TracedServices.ORCHESTRATOR_SEED);
    List<String> drawn = new ArrayList<>();
    for (int i = 0; i <= n; i++) {
      drawn.add(replay.generateTraceId());
    }
    assertThat(traceIds).containsExactlyInAnyOrderElementsOf(drawn.subList(1, n + 1));
    Sampler ratio = Sampler.traceIdRatioBased(0.01);
    Set<String> expected = traceIds.stream()
        .filter(id -> ratio.shouldSample(Context.root(), id, "POST", SpanKind.SERVER, Attributes.empty(), List.of())
            .getDecision() == SamplingDecision.RECORD_AND_SAMPLE)
        .collect(Collectors.toSet());
    System.out.printf("sampled %d of %d executions at rate 0.01%n", expected.size(), n);
    assertThat(expected).as("the seeded ids give a fixed share near 1%").hasSize(EXPECTED_SAMPLED);

    // The worker ends its spans after it records the result: wait until the whole traces arrived.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      services.flush();
      assertThat(traceIdsOf(orchestratorSpans, "orchestrator.enqueue_execution")).isEqualTo(expected);
      assertThat(traceIdsOf(orchestratorSpans, "cloud_tasks.enqueue")).isEqualTo(expected);
      assertThat(traceIdsOf(workerSpans, "worker.execute_workflow")).as("worker sampled ⇔ orchestrator sampled")
          .isEqualTo(expected);
      assertThat(traceIdsOf(workerSpans, "worker.execute_asset")).as("assets sampled ⇔ execution sampled")
          .isEqualTo(expected);
    });
  }

  @Test
  void atZeroNothingIsExportedButTheTraceIdsReachTheLogs() throws Exception {
    ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(root.getLoggerContext());
    encoder.start();
    AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        lines.add(new String(encoder.encode(event), StandardCharsets.UTF_8));
      }
    };
    capture.setContext(root.getLoggerContext());
    capture.start();
    root.addAppender(capture);
    try {
      start(0.0);
      List<String> traceIds = runAll(20);
      // Every trace id reached the logs: the work those ids name has been logged, and traced if it were.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        String logs = String.join("", lines);
        assertThat(traceIds).allSatisfy(id -> assertThat(logs).contains("trace_id=" + id));
      });
      services.flush();

      assertThat(orchestratorSpans.getFinishedSpanItems()).isEmpty();
      assertThat(workerSpans.getFinishedSpanItems()).isEmpty();
      assertThat(traceIds).allSatisfy(id -> assertThat(id).matches("[0-9a-f]{32}"));
    } finally {
      root.detachAppender(capture);
    }
  }
}
