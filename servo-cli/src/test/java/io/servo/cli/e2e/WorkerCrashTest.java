package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.servo.cli.client.ApiClient;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process killed with SIGKILL in the middle of an asset: the queue redelivers the task to
 * a new worker process, which takes the execution over once the dead worker's lease expires and
 * completes it exactly once, without re-running the assets that had already succeeded.
 */
class WorkerCrashTest {
  @TempDir Path dir;
  private final List<Process> workers = new java.util.ArrayList<>();
  private PostgresTestDatabase database;
  private HttpServer counter;

  @AfterEach
  void cleanUp() {
    workers.forEach(p -> {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    });
    if (counter != null) {
      counter.stop(0);
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  void aKilledWorkersExecutionCompletesExactlyOnceOnTheNextWorker() throws Exception {
    database = PostgresTestDatabase.create();
    AtomicInteger hits = new AtomicInteger();
    counter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    counter.createContext("/", ex -> {
      hits.incrementAndGet();
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    counter.start();
    Path marker = dir.resolve("started-once");
    Path runs = dir.resolve("runs.log");
    Path program = dir.resolve("SlowOnce.java");
    Files.writeString(program, """
        import java.nio.file.*;
        public class SlowOnce {
          public static void main(String[] a) throws Exception {
            Files.writeString(Path.of(a[1]), "run\\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (Files.exists(Path.of(a[0]))) { System.out.println("second run"); return; }
            Files.createFile(Path.of(a[0]));
            Thread.sleep(120_000);
          }
        }
        """);
    int workerPort = freePort();
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", database.url());
    env.put("SERVO_HMAC_SECRET", LocalStack.SECRET);
    env.put("SERVO_EXECUTION_LEASE", "3s");
    env.put("SERVO_WORKDIR", io.servo.cli.SandboxedDirs.openToCommands(dir).toString());
    // the workflow calls a counter on loopback and its table is read back from the test database
    env.put("SERVO_TENANT_DEFAULT_HTTP_HOSTS", "127.0.0.1");
    env.put("SERVO_TENANT_DEFAULT_WAREHOUSE_URL", database.url());
    env.put("PORT", Integer.toString(workerPort));
    env.put("SERVO_WORKER_URL", "http://127.0.0.1:" + workerPort);
    env.put("SERVO_LOCAL_QUEUE_MAX_ATTEMPTS", "60");

    try (ServoStorage storage = Storage.open(database.url());
        OrchestratorServer orchestrator = OrchestratorServer.builder(
                OrchestratorConfig.fromEnvironment(withPort(env, 0)), storage)
            .hmacSecret(LocalStack.SECRET.getBytes(StandardCharsets.UTF_8))
            .localQueue(q -> q.maxBackoff(Duration.ofMillis(500)))
            .build()) {
      orchestrator.start();
      Process first = startWorker(env, "worker-1.log");
      ApiClient api = new ApiClient(java.net.URI.create("http://127.0.0.1:" + orchestrator.port() + "/"), null);
      String workflow = """
          workflow: crashy
          assets:
            - {name: ping, kind: http, url: "http://127.0.0.1:%d/ping"}
            - {name: slow, kind: command, command: [java, %s, %s, %s], depends_on: [ping]}
            - {name: record, kind: sql, sql: "CREATE TABLE IF NOT EXISTS crash_results (done INTEGER); INSERT INTO crash_results VALUES (1)", depends_on: [slow]}
          """.formatted(counter.getAddress().getPort(), program, marker, runs);
      assertThat(api.put("v1/workflows/crashy", workflow.getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();
      String id = api.post("v1/workflows/crashy/executions", null).body().path("execution_id").asText();

      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(marker));
      first.descendants().forEach(ProcessHandle::destroyForcibly);
      first.destroyForcibly().waitFor();
      startWorker(env, "worker-2.log");

      Execution ended = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
          .until(() -> storage.executions().find("default", id).orElseThrow(), e -> e.state().isEnded());

      assertThat(ended.state()).as(Files.readString(dir.resolve("worker-2.log"))).isEqualTo(ExecutionState.SUCCEEDED);
      assertThat(ended.attempt()).isEqualTo(2);
      assertThat(storage.executions().assetResults("default", id))
          .extracting(AssetResult::assetName, AssetResult::status)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("ping", AssetStatus.SUCCEEDED),
              org.assertj.core.groups.Tuple.tuple("slow", AssetStatus.SUCCEEDED),
              org.assertj.core.groups.Tuple.tuple("record", AssetStatus.SUCCEEDED));
      assertThat(hits.get()).as("the asset that had succeeded is not run again").isEqualTo(1);
      assertThat(Files.readAllLines(runs)).as("the interrupted asset ran again, once").hasSize(2);
      try (Connection c = database.connect(); ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM crash_results")) {
        rs.next();
        assertThat(rs.getInt(1)).as("completed exactly once").isEqualTo(1);
      }
    }
  }

  private Process startWorker(Map<String, String> env, String logName) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.servo.cli.ServoCli", "worker");
    pb.environment().clear();
    pb.environment().putAll(env);
    File log = dir.resolve(logName).toFile();
    pb.redirectErrorStream(true).redirectOutput(log);
    Process p = pb.start();
    workers.add(p);
    return p;
  }

  private static Map<String, String> withPort(Map<String, String> env, int port) {
    Map<String, String> copy = new HashMap<>(env);
    copy.put("PORT", Integer.toString(port));
    return copy;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
