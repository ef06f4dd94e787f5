package io.servo.worker.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.core.workflow.Workflow;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.storage.NewExecution;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.storage.StorageOptions;
import io.servo.storage.StoredWorkflow;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A real worker on a free port over a real SQLite database, and a client that signs tasks the way
 * the orchestrator does.
 */
public final class WorkerHarness implements AutoCloseable {
  public static final String HMAC_SECRET = "test-hmac-secret-0123456789abcdef0123456789";
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final ServoStorage storage;
  private final WorkerServer worker;
  private final TaskSignature signature;
  private final Path dir;
  private final MutableClock clock = new MutableClock();
  private final FlakyDatabase database = new FlakyDatabase();
  private final int port;

  private WorkerHarness(Path dir, Map<String, String> extraEnv, Map<String, String> extraConfig) {
    this(dir, extraEnv, extraConfig, UnaryOperator.identity());
  }

  private WorkerHarness(Path dir, Map<String, String> extraEnv, Map<String, String> extraConfig,
      UnaryOperator<WorkerServer.Builder> customize) {
    this.dir = dir;
    this.storage = Storage.open("jdbc:sqlite:" + dir.resolve("servo.db"),
        StorageOptions.defaults().withClock(clock).withDataSourceWrapper(database.wrapper()));
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_HMAC_SECRET", HMAC_SECRET);
    env.put("PORT", "0");
    env.put("SERVO_WORKDIR", dir.toString());
    env.put("SERVO_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("servo.db"));
    env.put("SERVO_WAREHOUSE_URL", warehouseUrl(dir));
    env.put("SERVO_MAX_BODY_BYTES", "65536");
    // These tests are about the worker, not about isolation: their tenants may resolve any variable
    // that is not reserved and reach the tests' servers on loopback (the hostile-tenant tests grant less).
    for (String tenant : new String[] {"DEFAULT", "ACME"}) {
      env.put("SERVO_TENANT_" + tenant + "_ENV", "*");
      env.put("SERVO_TENANT_" + tenant + "_HTTP_HOSTS", "127.0.0.1,localhost,::1");
    }
    env.putAll(extraConfig);
    env.putAll(extraEnv);
    WorkerConfig config = WorkerConfig.fromEnvironment(env);
    this.worker = customize.apply(WorkerServer.builder(config, storage)
            .environment(env)
            .clock(clock)
            .shutdownGrace(Duration.ofSeconds(1)))
        .build()
        .start();
    this.port = worker.port();
    this.signature = TaskSignature.create(HMAC_SECRET);
  }

  public static WorkerHarness start(Path dir, Map<String, String> workerEnv) {
    return new WorkerHarness(dir, workerEnv, Map.of());
  }

  public static WorkerHarness start(Path dir, Map<String, String> workerEnv,
      Map<String, String> config) {
    return new WorkerHarness(dir, workerEnv, config);
  }

  /** A worker whose builder {@code customize} completes (an OpenTelemetry, say). */
  public static WorkerHarness start(Path dir, Map<String, String> workerEnv,
      UnaryOperator<WorkerServer.Builder> customize) {
    return new WorkerHarness(dir, workerEnv, Map.of(), customize);
  }

  public static String warehouseUrl(Path dir) {
    return "jdbc:sqlite:" + dir.resolve("warehouse.db");
  }

  /** The clock of both the store and the worker. */
  public MutableClock clock() {
    return clock;
  }

  /** Servo's database as the worker sees it: can be made to fail. */
  public FlakyDatabase database() {
    return database;
  }

  public ServoStorage storage() {
    return storage;
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** Deploys the workflow and records a pending execution of it; returns the task body the orchestrator would send. */
  public Task newExecution(String workflowYaml) {
    return newExecution(workflowYaml, TraceMetadata.EMPTY);
  }

  /** As {@link #newExecution(String)}, with {@code trace} in the signed payload as the orchestrator writes it. */
  public Task newExecution(String workflowYaml, TraceMetadata trace) {
    Workflow workflow = WorkflowLoader.parse(workflowYaml);
    String definition;
    try {
      definition = Json.mapper().writeValueAsString(WorkflowLoader.toTree(workflow));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StoredWorkflow stored = storage.workflows().deploy(workflow.tenant(), workflow.name(), definition);
    String id = UUID.randomUUID().toString();
    TaskPayload payload = new TaskPayload(TaskPayload.CURRENT_VERSION, id, workflow.tenant(),
        workflow.name(), stored.version(), WorkflowLoader.toTree(workflow), Instant.now(), trace);
    byte[] body = TaskPayloadCodec.encode(payload);
    storage.executions().create(
        new NewExecution(id, workflow.tenant(), workflow.name(), stored.version(), null, null),
        "task-" + id, body);
    return new Task(id, workflow.tenant(), body);
  }

  /** A task the orchestrator recorded. */
  public record Task(String executionId, String tenant, byte[] body) {}

  public HttpResponse<String> post(byte[] body) {
    return post(body, signature.sign(body));
  }

  public HttpResponse<String> post(byte[] body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri("/execute"))
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json")
        .header("X-CloudTasks-TaskRetryCount", "0");
    headers.forEach(request::setHeader);
    return send(request.build());
  }

  /** A correctly signed task with {@code authorization} (an ID token, say) as its Authorization header. */
  public HttpResponse<String> postWithAuthorization(byte[] body, String authorization) {
    Map<String, String> headers = new HashMap<>(signature.sign(body));
    headers.put("Authorization", authorization);
    return post(body, headers);
  }

  /** Signs with a clock {@code skew} away from now, as a replayed or badly clocked sender would. */
  public Map<String, String> signAt(byte[] body, Duration skew) {
    Clock clock = Clock.offset(Clock.systemUTC(), skew);
    return TaskSignature.create(HMAC_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8), clock,
        TaskSignature.DEFAULT_WINDOW).sign(body);
  }

  public Map<String, String> sign(byte[] body) {
    return signature.sign(body);
  }

  /** Signs {@code body} with {@code trace} in Servo's trace headers, as the orchestrator's hand-over does. */
  public Map<String, String> sign(io.servo.core.task.TraceMetadata trace, byte[] body) {
    return signature.sign(trace, body);
  }

  public HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static JsonNode json(HttpResponse<String> response) {
    try {
      return Json.mapper().readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** Stops the worker only (gracefully), keeping the database open for assertions. */
  public void stopWorker() {
    worker.close();
  }

  @Override
  public void close() {
    worker.close();
    storage.close();
  }
}
