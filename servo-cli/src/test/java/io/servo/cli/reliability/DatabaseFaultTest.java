package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.queue.local.LocalTaskQueue;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.testing.logs.CapturedLogs;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.execution.TaskNames;
import io.servo.orchestrator.execution.TaskPayloads;
import io.servo.storage.NewExecution;
import io.servo.storage.StoredWorkflow;
import io.servo.testing.postgres.TcpFaultProxy;
import java.time.Instant;
import java.util.UUID;
import org.assertj.core.groups.Tuple;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every connection between Servo and PostgreSQL is cut in the middle of an execution, and new ones
 * are refused for a while: both services reach the database through a TCP proxy. The worker gives
 * the claim back and answers 503, the local queue redelivers, and the execution completes exactly
 * once with its asset results intact; the outbox relay and the pools come back by themselves.
 */
class DatabaseFaultTest {
  private static final String WORKFLOW = """
      workflow: dbcut
      assets:
        - {name: before, kind: sql, sql: "CREATE TABLE IF NOT EXISTS dbcut_results (asset TEXT); INSERT INTO dbcut_results VALUES ('before')"}
        - {name: nap, kind: command, command: [sleep, "4"], depends_on: [before]}
        - {name: after, kind: sql, sql: "INSERT INTO dbcut_results VALUES ('after')", depends_on: [nap]}
      """;

  private PostgresTestDatabase database;
  private TcpFaultProxy proxy;
  private InProcessServo servo;
  private ServoStorage direct;

  @AfterEach
  void stop() throws Exception {
    if (servo != null) {
      servo.close();
    }
    if (direct != null) {
      direct.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (database != null) {
      database.close();
    }
  }

  /**
   * A blip shorter than the pools' wait for a connection (servo-storage's connectionTimeout, 5 s):
   * Servo rides it out; nothing is retried.
   */
  @Test
  void aShortCutIsRiddenOutAndTheExecutionCompletesExactlyOnce() throws Exception {
    start();
    InProcessServo.Started started = servo.start("dbcut");
    await().atMost(Duration.ofSeconds(20)).until(() -> status(started.id(), "nap") == AssetStatus.RUNNING);

    proxy.cut();
    Thread.sleep(SHORT_CUT.toMillis());
    proxy.forward();

    Execution ended = awaitEnded(started.id(), Duration.ofSeconds(40));
    assertCompletedExactlyOnce(started.id(), ended);
    assertThat(ended.attempt()).as("the pools waited for the database to come back").isEqualTo(1);
  }

  /**
   * An outage longer than the pools wait for a connection (servo-storage's connectionTimeout, 5 s):
   * the worker's write fails, it gives the claim back and answers 503, the local queue
   * redelivers, the next attempt resumes after the asset that had succeeded. A task committed
   * during the outage is handed over by the relay once the database is back.
   */
  @Test
  void aLongOutageIsRetriedThroughTheQueueAndTheRelayResumes() throws Exception {
    try (CapturedLogs queueLogs = CapturedLogs.of(LocalTaskQueue.class)) {
      start();
      InProcessServo.Started started = servo.start("dbcut");
      await().atMost(Duration.ofSeconds(20)).until(() -> status(started.id(), "nap") == AssetStatus.RUNNING);

      long t0 = System.nanoTime();
      proxy.cut();
      // Committed while Servo cannot reach the database (the relay is failing its polls meanwhile).
      String duringOutage = commitDirectly();
      Thread.sleep(OUTAGE.toMillis());
      proxy.forward();

      Execution ended = awaitEnded(started.id(), Duration.ofSeconds(60));
      System.out.printf("database down %d s; execution ended %s at attempt %d, %d s after the cut%n",
          OUTAGE.toSeconds(), ended.state(), ended.attempt(), (System.nanoTime() - t0) / 1_000_000_000);
      assertCompletedExactlyOnce(started.id(), ended);
      assertThat(ended.attempt()).as("redelivered after the worker's 503").isEqualTo(2);
      assertThat(queueLogs.containing("failed with HTTP 503")).as("the worker answered 503 and the queue retried")
          .isNotEmpty();
      assertThat(awaitEnded(duringOutage, Duration.ofSeconds(30)).state())
          .as("the relay resumed by itself").isEqualTo(ExecutionState.SUCCEEDED);
    }
  }

  /**
   * Shorter than the pools' connectionTimeout (5 s), with room for reconnecting. (This was 6 s while
   * the pools waited HikariCP's default 30 s; a 6 s cut now outlasts the wait.)
   */
  private static final Duration SHORT_CUT = Duration.ofSeconds(3);

  /**
   * Longer than the nap's remaining 4 s plus the pools' connectionTimeout (5 s), so the worker's
   * write of the nap's result surely fails. (This was 34 s while the pools waited HikariCP's
   * default 30 s.)
   */
  private static final Duration OUTAGE = Duration.ofSeconds(15);

  private void start() throws Exception {
    database = PostgresTestDatabase.create();
    proxy = TcpFaultProxy.before(database.url());
    String proxied = proxy.proxied(database.url());
    direct = Storage.open(database.url());
    servo = InProcessServo.builder(proxied)
        // The warehouse is another system (the tenant's own): its connection is not cut.
        .env(Map.of("SERVO_TENANT_DEFAULT_WAREHOUSE_URL", database.url(), "SERVO_EXECUTION_LEASE", "6s"))
        .orchestrator(b -> b.localQueue(q -> q.maxBackoff(Duration.ofSeconds(1))))
        .start();
    servo.deploy("dbcut", WORKFLOW);
    servo.deploy("quick", "workflow: quick\nassets: [{name: one, kind: sql, sql: SELECT 1}]");
  }

  private Execution awaitEnded(String id, Duration timeout) {
    return await().atMost(timeout).pollInterval(Duration.ofMillis(200))
        .until(() -> direct.executions().find(InProcessServo.TENANT, id).orElseThrow(), e -> e.state().isEnded());
  }

  private void assertCompletedExactlyOnce(String id, Execution ended) throws Exception {
    assertThat(ended.state()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(direct.executions().assetResults(InProcessServo.TENANT, id))
        .extracting(AssetResult::assetName, AssetResult::status)
        .containsExactly(
            Tuple.tuple("before", AssetStatus.SUCCEEDED),
            Tuple.tuple("nap", AssetStatus.SUCCEEDED),
            Tuple.tuple("after", AssetStatus.SUCCEEDED));
    assertThat(rows("before")).as("the asset that had succeeded is not run again").isEqualTo(1);
    assertThat(rows("after")).as("completed exactly once").isEqualTo(1);
  }

  /** An execution and its task committed straight into the database, as an orchestrator would. */
  private String commitDirectly() {
    StoredWorkflow workflow = direct.workflows().latest(InProcessServo.TENANT, "quick").orElseThrow();
    String id = UUID.randomUUID().toString();
    byte[] payload = TaskPayloadCodec.encode(TaskPayloads.forExecution(id, workflow, Instant.now(), TraceMetadata.EMPTY));
    direct.executions().create(new NewExecution(id, InProcessServo.TENANT, "quick", workflow.version(), null, null),
        TaskNames.forExecution(id, 1), payload);
    return id;
  }

  private AssetStatus status(String id, String asset) {
    return direct.executions().assetResults(InProcessServo.TENANT, id).stream()
        .filter(r -> r.assetName().equals(asset)).map(AssetResult::status).findFirst().orElse(null);
  }

  private int rows(String asset) throws Exception {
    try (Connection c = database.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM dbcut_results WHERE asset = '" + asset + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
