package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.cli.client.ApiClient;
import io.servo.cli.server.Services;
import io.servo.cloud.gcp.fake.tasks.FakeCloudTasks;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Orchestrator processes killed with SIGKILL at the worst moments: nothing committed is lost, and
 * nothing runs twice to completion.
 */
class OrchestratorCrashTest {
  private static final String WORKFLOW = """
      workflow: counted
      assets:
        - {name: count, kind: sql, sql: "CREATE TABLE IF NOT EXISTS crash_counts (n INTEGER); INSERT INTO crash_counts VALUES (1)"}
      """;

  @TempDir Path dir;
  private final Services services = new Services();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private PostgresTestDatabase database;
  private ServoStorage direct;
  private Map<String, String> env;

  @BeforeEach
  void setUp() {
    database = PostgresTestDatabase.create();
    direct = Storage.open(database.url());
    env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", database.url());
    env.put("SERVO_HMAC_SECRET", InProcessServo.SECRET);
    env.put("SERVO_WORKDIR", io.servo.cli.SandboxedDirs.openToCommands(dir).toString());
    // the workflows' tables are read back from the test database: it is the tenant's own warehouse
    env.put("SERVO_TENANT_DEFAULT_WAREHOUSE_URL", database.url());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    services.close();
    direct.close();
    database.close();
  }

  /**
   * SERVO_QUEUE=cloudtasks with Cloud Tasks unreachable: executions are committed with their tasks,
   * the relay cannot hand them over, and the orchestrator is killed. The next orchestrator to start
   * hands them over; each runs once.
   */
  @Test
  void tasksCommittedButNotYetEnqueuedWhenTheOrchestratorIsKilledAreDeliveredByTheNextOne() throws Exception {
    int workerPort = ServoProcess.freePort();
    startWorker(workerPort);
    int cloudTasksPort = ServoProcess.freePort(); // nothing listens there yet
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.put("PORT", Integer.toString(ServoProcess.freePort()));
    orchestratorEnv.put("SERVO_QUEUE", "cloudtasks");
    orchestratorEnv.put("SERVO_CLOUD_TASKS_ENDPOINT", "127.0.0.1:" + cloudTasksPort);
    orchestratorEnv.put("GCP_PROJECT_ID", "demo-project");
    orchestratorEnv.put("GCP_LOCATION", "europe-west1");
    orchestratorEnv.put("GCP_QUEUE_NAME", "servo-executions");
    orchestratorEnv.put("GCP_WORKER_URL", "http://127.0.0.1:" + workerPort);
    orchestratorEnv.put("GCP_SERVICE_ACCOUNT_EMAIL", "servo-tasks@demo-project.iam.gserviceaccount.com");
    ServoProcess orchestrator = process("orchestrator", orchestratorEnv, "orchestrator-1.log");

    ApiClient api = new ApiClient(URI.create(orchestrator.url() + "/"), null);
    deploy(api);
    // Each POST waits up to 5 s for the hand-over that cannot happen: send them together.
    List<java.util.concurrent.CompletableFuture<ApiClient.Answer>> posts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      posts.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> api.post("v1/workflows/counted/executions", null)));
    }
    List<String> ids = new ArrayList<>();
    for (var post : posts) {
      ApiClient.Answer answer = post.get();
      assertThat(answer.status()).as(answer.errorText()).isEqualTo(201);
      ids.add(answer.body().path("execution_id").asText());
    }
    assertThat(ids).allSatisfy(id ->
        assertThat(direct.outbox().pendingFor(InProcessServo.TENANT, id)).as("still in the outbox").isPresent());
    orchestrator.kill();

    FakeCloudTasks cloudTasks = FakeCloudTasks.builder().setPort(cloudTasksPort).start();
    closeables.add(cloudTasks);
    orchestratorEnv.put("PORT", "0");
    ServoTelemetry telemetry = services.telemetry(TracingConfig.from(orchestratorEnv), "servo-orchestrator");
    services.orchestrator(OrchestratorConfig.fromEnvironment(orchestratorEnv),
        services.storage(database.url(), telemetry), orchestratorEnv, null, telemetry, id -> Optional.empty());

    // A task the killed relay had claimed stays out of reach until its claim lapses (15 s).
    for (String id : ids) {
      assertThat(awaitEnded(id, Duration.ofSeconds(45)).state()).isEqualTo(ExecutionState.SUCCEEDED);
    }
    assertThat(cloudTasks.createdTaskCount()).as("one task per execution").isEqualTo(3);
    assertThat(countRows()).as("each execution ran once").isEqualTo(3);
  }

  /**
   * SERVO_QUEUE=local with the worker down: the local queue has accepted the task (it left the
   * outbox) and holds it in memory when the orchestrator is killed, so the task is gone. The
   * execution stays pending until the sweeper of the next orchestrator re-enqueues it.
   */
  @Test
  void aTaskTheKilledOrchestratorsLocalQueueHeldIsReEnqueuedByTheSweeper() throws Exception {
    int workerPort = ServoProcess.freePort(); // the worker is down
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.put("PORT", Integer.toString(ServoProcess.freePort()));
    orchestratorEnv.put("SERVO_WORKER_URL", "http://127.0.0.1:" + workerPort);
    ServoProcess orchestrator = process("orchestrator", orchestratorEnv, "orchestrator-1.log");
    ApiClient api = new ApiClient(URI.create(orchestrator.url() + "/"), null);
    deploy(api);
    ApiClient.Answer answer = api.post("v1/workflows/counted/executions", null);
    assertThat(answer.status()).isEqualTo(201);
    String id = answer.body().path("execution_id").asText();
    assertThat(direct.outbox().pendingFor(InProcessServo.TENANT, id)).as("handed to the local queue").isEmpty();
    orchestrator.kill();

    startWorker(workerPort);
    try (InProcessServo next = InProcessServo.builder(database.url())
        .workerUrl("http://127.0.0.1:" + workerPort)
        .orchestrator(b -> b.sweeper(s -> s.interval(Duration.ofMillis(200)).pendingAfter(Duration.ofSeconds(1))))
        .start()) {
      Execution ended = awaitEnded(id, Duration.ofSeconds(30));
      assertThat(ended.state()).isEqualTo(ExecutionState.SUCCEEDED);
      assertThat(ended.attempt()).isEqualTo(1);
      assertThat(countRows()).isEqualTo(1);
    }
  }

  /**
   * A worker killed mid-asset while the orchestrator whose local queue would have redelivered its
   * task is killed too: the execution is running under a lease nobody renews and no queue will
   * retry it. The sweeper of the next orchestrator re-enqueues it once the lease has expired; the
   * next worker resumes it without re-running what succeeded, and it completes exactly once.
   */
  @Test
  void anExecutionWhoseWorkerAndQueueBothDiedIsResumedThroughTheSweeper() throws Exception {
    Path marker = dir.resolve("started-once");
    Path runs = dir.resolve("runs.log");
    int workerPort = ServoProcess.freePort();
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PORT", Integer.toString(workerPort));
    workerEnv.put("SERVO_EXECUTION_LEASE", "3s");
    ServoProcess worker = process("worker", workerEnv, "worker-1.log");
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.put("PORT", Integer.toString(ServoProcess.freePort()));
    orchestratorEnv.put("SERVO_WORKER_URL", worker.url());
    ServoProcess orchestrator = process("orchestrator", orchestratorEnv, "orchestrator-1.log");
    ApiClient api = new ApiClient(URI.create(orchestrator.url() + "/"), null);
    String workflow = """
        workflow: resumed
        assets:
          - {name: first, kind: sql, sql: "CREATE TABLE IF NOT EXISTS resumed_runs (asset TEXT); INSERT INTO resumed_runs VALUES ('first')"}
          - {name: slow, kind: command, command: [sh, -c, "echo run >> %s; if [ -e %s ]; then exit 0; fi; touch %s; sleep 120"], depends_on: [first]}
          - {name: last, kind: sql, sql: "INSERT INTO resumed_runs VALUES ('last')", depends_on: [slow]}
        """.formatted(runs, marker, marker);
    assertThat(api.put("v1/workflows/resumed", workflow.getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();
    String id = api.post("v1/workflows/resumed/executions", null).body().path("execution_id").asText();
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(marker));
    worker.kill();
    orchestrator.kill();

    startWorker(workerPort);
    try (InProcessServo next = InProcessServo.builder(database.url())
        .workerUrl("http://127.0.0.1:" + workerPort)
        .orchestrator(b -> b.sweeper(s -> s.interval(Duration.ofMillis(200)).stuckAfter(Duration.ofSeconds(1))))
        .start()) {
      Execution ended = awaitEnded(id, Duration.ofSeconds(30));
      assertThat(ended.state()).isEqualTo(ExecutionState.SUCCEEDED);
      assertThat(ended.attempt()).isEqualTo(2);
      assertThat(direct.executions().assetResults(InProcessServo.TENANT, id))
          .extracting(AssetResult::assetName, AssetResult::status)
          .containsExactly(Tuple.tuple("first", AssetStatus.SUCCEEDED), Tuple.tuple("slow", AssetStatus.SUCCEEDED),
              Tuple.tuple("last", AssetStatus.SUCCEEDED));
      assertThat(Files.readAllLines(runs)).as("the interrupted asset ran again, once").hasSize(2);
      assertThat(rows("resumed_runs", "first")).as("the asset that had succeeded is not run again").isEqualTo(1);
      assertThat(rows("resumed_runs", "last")).as("completed exactly once").isEqualTo(1);
    }
  }

  private ServoProcess process(String command, Map<String, String> processEnv, String log) throws Exception {
    ServoProcess p = ServoProcess.start(command, processEnv, dir.resolve(log));
    closeables.add(p);
    return p.awaitListening(Duration.ofSeconds(30));
  }

  private void startWorker(int port) {
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PORT", Integer.toString(port));
    ServoTelemetry telemetry = services.telemetry(TracingConfig.from(workerEnv), "servo-worker");
    services.worker(WorkerConfig.fromEnvironment(workerEnv), services.storage(database.url(), telemetry), workerEnv,
        telemetry);
  }

  private static void deploy(ApiClient api) {
    ApiClient.Answer answer = api.put("v1/workflows/counted", WORKFLOW.getBytes(StandardCharsets.UTF_8), "application/yaml");
    assertThat(answer.ok()).as(answer.errorText()).isTrue();
  }

  private Execution awaitEnded(String id, Duration timeout) {
    return await().atMost(timeout).pollInterval(Duration.ofMillis(100))
        .until(() -> direct.executions().find(InProcessServo.TENANT, id).orElseThrow(), e -> e.state().isEnded());
  }

  private int countRows() throws Exception {
    try (Connection c = database.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM crash_counts")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private int rows(String table, String asset) throws Exception {
    try (Connection c = database.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table + " WHERE asset = '" + asset + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
