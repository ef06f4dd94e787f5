package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.servo.cli.client.ApiClient;
import io.servo.cli.server.Services;
import io.servo.cloud.gcp.fake.run.FakeCloudRunFrontEnd;
import io.servo.cloud.gcp.fake.run.TraceHeaderMode;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The local queue takes the same path as Cloud Tasks: one trace per execution on SQLite, whether a
 * proxy between queue and worker rewrites the traceparent (kept as a link), strips the W3C trace
 * headers or passes them through: the worker parents on the producer span from the signed
 * {@code X-Servo-Traceparent} in every case.
 */
class LocalQueueTraceTest {
  @TempDir Path dir;
  private final Services services = new Services();
  private final InMemorySpanExporter workerSpans = InMemorySpanExporter.create();
  private final InMemorySpanExporter orchestratorSpans = InMemorySpanExporter.create();
  private FakeCloudRunFrontEnd frontEnd;

  @AfterEach
  void stop() {
    services.close();
    if (frontEnd != null) {
      frontEnd.close();
    }
  }

  @ParameterizedTest
  @EnumSource(TraceHeaderMode.class)
  void oneTracePerExecution(TraceHeaderMode headers) throws Exception {
    int workerPort;
    try (ServerSocket s = new ServerSocket(0)) {
      workerPort = s.getLocalPort();
    }
    frontEnd = FakeCloudRunFrontEnd.start(URI.create("http://127.0.0.1:" + workerPort), headers);
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("servo.db"));
    env.put("SERVO_HMAC_SECRET", LocalStack.SECRET);
    env.put("SERVO_WORKER_URL", frontEnd.url().toString().replaceAll("/$", ""));
    env.put("SERVO_TRACE_ENABLED", "true");
    env.put("SERVO_TRACE_SAMPLE_RATE", "1.0");
    env.put("SERVO_TRACE_EXPORTER", "none");
    TracingConfig tracing = TracingConfig.from(env);
    ServoTelemetry workerTelemetry = services.telemetry(tracing, "servo-worker", workerSpans);
    ServoTelemetry orchestratorTelemetry = services.telemetry(tracing, "servo-orchestrator", orchestratorSpans);
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PORT", Integer.toString(workerPort));
    services.worker(WorkerConfig.fromEnvironment(workerEnv),
        services.storage(env.get("SERVO_DATABASE_URL"), workerTelemetry), workerEnv, workerTelemetry);
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.put("PORT", "0");
    ServoStorage storage = services.storage(env.get("SERVO_DATABASE_URL"), orchestratorTelemetry);
    OrchestratorServer orchestrator = services.orchestrator(OrchestratorConfig.fromEnvironment(orchestratorEnv),
        storage, orchestratorEnv, null, orchestratorTelemetry, id -> Optional.empty());
    ApiClient api = new ApiClient(URI.create("http://127.0.0.1:" + orchestrator.port() + "/"), null);
    assertThat(api.put("v1/workflows/two", """
        workflow: two
        assets:
          - {name: first, kind: sql, sql: "CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1)"}
          - {name: second, kind: sql, sql: "SELECT COUNT(*) FROM t", depends_on: [first]}
        """.getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();

    ApiClient.Answer started = api.post("v1/workflows/two/executions", null);
    String id = started.body().path("execution_id").asText();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> storage.executions().find("default", id).orElseThrow(), e -> e.state().isEnded());

    TraceShape trace = TraceShape.collect(started.body().path("trace_id").asText(),
        List.of(workerTelemetry, orchestratorTelemetry), orchestratorSpans, workerSpans);
    trace.assertDesignTree("local_queue.enqueue", List.of("first", "second"));
    if (headers == TraceHeaderMode.REWRITE_PARENT) {
      assertThat(trace.one("POST /execute").getLinks()).as("the rewritten header context is kept as a link")
          .singleElement().satisfies(link -> assertThat(link.getSpanContext().getSpanId())
              .isNotEqualTo(trace.one("cloud_tasks.enqueue").getSpanId()));
    } else {
      assertThat(trace.one("POST /execute").getLinks())
          .as("headers stripped or equal to the payload's context: nothing to link").isEmpty();
    }
  }
}
