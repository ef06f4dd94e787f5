package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.servo.cli.client.ApiClient;
import io.servo.cli.server.Services;
import io.servo.cloud.gcp.fake.oidc.JwksServer;
import io.servo.cloud.gcp.fake.run.FakeCloudRunFrontEnd;
import io.servo.cloud.gcp.fake.tasks.FakeCloudTasks;
import io.servo.core.execution.ExecutionState;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.Execution;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import io.servo.worker.WorkerConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The production path: `servo orchestrator` with SERVO_QUEUE=cloudtasks → the real CloudTasksClient
 * → a fake of Cloud Tasks' gRPC API on a plaintext endpoint → HTTP dispatch with a Google-style OIDC
 * token → a fake of Cloud Run's front end → the worker with OIDC and HMAC enforced → PostgreSQL.
 */
class CloudTasksEndToEndTest {
  private static final String SERVICE_ACCOUNT = "servo-tasks@demo-project.iam.gserviceaccount.com";
  private final Services services = new Services();
  private PostgresTestDatabase database;
  private FakeCloudTasks cloudTasks;
  private JwksServer jwks;
  private FakeCloudRunFrontEnd frontEnd;
  private ServoStorage storage;
  private OrchestratorServer orchestrator;
  private final InMemorySpanExporter workerSpans = InMemorySpanExporter.create();
  private final InMemorySpanExporter orchestratorSpans = InMemorySpanExporter.create();
  private List<ServoTelemetry> telemetries;

  @BeforeEach
  void start() throws Exception {
    database = PostgresTestDatabase.create();
    cloudTasks = FakeCloudTasks.start();
    jwks = cloudTasks.oidc().startJwksServer();
    int workerPort;
    try (ServerSocket s = new ServerSocket(0)) {
      workerPort = s.getLocalPort();
    }
    frontEnd = FakeCloudRunFrontEnd.start(URI.create("http://127.0.0.1:" + workerPort));
    String workerUrl = frontEnd.url().toString().replaceAll("/$", "");

    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_ENVIRONMENT", "production");
    env.put("SERVO_DATABASE_URL", database.url());
    env.put("SERVO_HMAC_SECRET", LocalStack.SECRET);
    env.put("SERVO_API_TOKENS", "acme:acme-token-0123456789");
    env.put("SERVO_QUEUE", "cloudtasks");
    env.put("SERVO_CLOUD_TASKS_ENDPOINT", cloudTasks.endpoint());
    env.put("GCP_PROJECT_ID", "demo-project");
    env.put("GCP_LOCATION", "europe-west1");
    env.put("GCP_QUEUE_NAME", "servo-executions");
    env.put("GCP_WORKER_URL", workerUrl);
    env.put("GCP_SERVICE_ACCOUNT_EMAIL", SERVICE_ACCOUNT);
    env.put("SERVO_OIDC_AUDIENCE", workerUrl);
    env.put("SERVO_OIDC_ALLOWED_EMAILS", SERVICE_ACCOUNT);
    env.put("SERVO_OIDC_JWKS_URL", jwks.certsUrl().toString());

    env.put("SERVO_TRACE_ENABLED", "true");
    env.put("SERVO_TRACE_SAMPLE_RATE", "1.0");
    env.put("SERVO_TRACE_EXPORTER", "none");
    TracingConfig tracing = TracingConfig.from(env);
    ServoTelemetry workerTelemetry = services.telemetry(tracing, "servo-worker", workerSpans);
    ServoTelemetry orchestratorTelemetry = services.telemetry(tracing, "servo-orchestrator", orchestratorSpans);
    telemetries = List.of(workerTelemetry, orchestratorTelemetry);
    storage = services.storage(database.url(), orchestratorTelemetry);
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PORT", Integer.toString(workerPort));
    services.worker(WorkerConfig.fromEnvironment(workerEnv), services.storage(database.url(), workerTelemetry),
        workerEnv, workerTelemetry);
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.put("PORT", "0");
    orchestrator = services.orchestrator(OrchestratorConfig.fromEnvironment(orchestratorEnv), storage,
        orchestratorEnv, null, orchestratorTelemetry, id -> java.util.Optional.empty());
  }

  @AfterEach
  void stop() {
    services.close();
    frontEnd.close();
    jwks.close();
    cloudTasks.close();
    database.close();
  }

  private ApiClient api() {
    return new ApiClient(URI.create("http://127.0.0.1:" + orchestrator.port() + "/"), "acme-token-0123456789");
  }

  @Test
  void anExecutionCompletesThroughCloudTasksWithOidcAndHmacEnforced() {
    ApiClient api = api();
    assertThat(api.put("v1/workflows/tiny", "workflow: tiny\nassets: [{name: one, kind: sql, sql: SELECT 1}]"
        .getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();

    String id = api.post("v1/workflows/tiny/executions", null).body().path("execution_id").asText();

    Execution ended = await().atMost(Duration.ofSeconds(30))
        .until(() -> storage.executions().find("acme", id).orElseThrow(), e -> e.state().isEnded());
    assertThat(ended.state()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(cloudTasks.createdTaskCount()).isEqualTo(1);
    // The fake records an attempt once the worker's answer is back, which comes after the row ended.
    await().atMost(Duration.ofSeconds(10)).until(() -> !cloudTasks.attempts().isEmpty());
    assertThat(cloudTasks.attempts()).hasSize(1);
    assertThat(cloudTasks.attempts().get(0).responseStatus()).isEqualTo(200);
    assertThat(cloudTasks.attempts().get(0).requestHeaders())
        .containsKeys("Authorization", "X-Servo-Signature", "X-CloudTasks-TaskName");
  }

  @Test
  void theExecutionIsOneTraceThroughCloudTasksAndTheRewritingFrontEnd() throws Exception {
    ApiClient api = api();
    assertThat(api.put("v1/workflows/tiny", "workflow: tiny\nassets: [{name: one, kind: sql, sql: SELECT 1}]"
        .getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();
    ApiClient.Answer started = api.post("v1/workflows/tiny/executions", null);
    String id = started.body().path("execution_id").asText();
    String traceId = started.body().path("trace_id").asText();
    await().atMost(Duration.ofSeconds(30))
        .until(() -> storage.executions().find("acme", id).orElseThrow(), e -> e.state().isEnded());

    TraceShape trace = TraceShape.collect(traceId, telemetries, orchestratorSpans, workerSpans);

    assertThat(storage.executions().find("acme", id).orElseThrow().traceId()).isEqualTo(traceId);
    trace.assertDesignTree("google.cloud.tasks.v2.CloudTasks/CreateTask", List.of("one"));
    var producer = trace.one("cloud_tasks.enqueue");
    var server = trace.one("POST /execute");
    assertThat(server.getLinks()).as("the front end's rewritten traceparent is kept as a link")
        .anySatisfy(link -> {
          assertThat(link.getSpanContext().getTraceId()).isEqualTo(traceId);
          assertThat(link.getSpanContext().getSpanId()).isNotEqualTo(producer.getSpanId());
        });
    assertThat(trace.one("worker.execute_workflow").getAttributes().asMap().toString())
        .contains("servo.execution.id=" + id, "servo.tenant.id=acme", "servo.workflow.id=tiny");
    assertThat(trace.spans).as("row-level security's per-transaction set_config is not traced")
        .noneMatch(span -> span.getAttributes().asMap().toString().contains("set_config"));
  }

  @Test
  void permissionDeniedReachesTheCallerAndTheTaskWaitsInTheOutbox() {
    ApiClient api = api();
    assertThat(api.put("v1/workflows/tiny", "workflow: tiny\nassets: [{name: one, kind: sql, sql: SELECT 1}]"
        .getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();
    cloudTasks.failNextCreateTasks(1, Status.PERMISSION_DENIED.withDescription("caller lacks cloudtasks.tasks.create"));

    ApiClient.Answer started = api.post("v1/workflows/tiny/executions", null);

    assertThat(started.status()).isEqualTo(201);
    assertThat(started.body().path("enqueue_error").asText())
        .contains("projects/demo-project/locations/europe-west1/queues/servo-executions", "roles/cloudtasks.enqueuer");
    String id = started.body().path("execution_id").asText();
    assertThat(storage.outbox().pendingFor("acme", id)).isPresent();
    // Once the permission is granted, the relay's retry delivers it.
    Execution ended = await().atMost(Duration.ofSeconds(30))
        .until(() -> storage.executions().find("acme", id).orElseThrow(), e -> e.state().isEnded());
    assertThat(ended.state()).isEqualTo(ExecutionState.SUCCEEDED);
  }
}
