package io.servo.orchestrator.testing;

import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.storage.StorageOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * A real orchestrator for tests: SQLite through servo-storage, the local queue delivering to a
 * {@link RecordingWorker}, short retry delays, an ephemeral port.
 */
public final class TestOrchestrator implements AutoCloseable {
  public static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";
  public static final String TOKENS = "a:tokA,b:tokB";

  public final ServoStorage storage;
  public final RecordingWorker worker;
  private final String jdbcUrl;
  private final Map<String, String> env;
  private OrchestratorServer server;
  private ApiClient client;

  private TestOrchestrator(Path dir, Map<String, String> extraEnv, UnaryOperator<DataSource> dataSources)
      throws IOException {
    this.jdbcUrl = "jdbc:sqlite:" + dir.resolve("servo.db");
    this.storage = Storage.open(jdbcUrl, StorageOptions.defaults().withDataSourceWrapper(dataSources));
    this.worker = RecordingWorker.start();
    this.env = new HashMap<>(Map.of(
        "PORT", "0",
        "SERVO_API_TOKENS", TOKENS,
        "SERVO_WORKER_URL", worker.url().toString(),
        "SERVO_MAX_BODY_BYTES", "4096",
        // what WorkflowApiTest's example needs of tenant a; tenant b has the defaults
        "SERVO_TENANT_A_ENV", "API_KEY",
        "SERVO_TENANT_A_HTTP_HOSTS", "localhost:9000"));
    extraEnv.forEach((name, value) -> {
      if (value == null) {
        this.env.remove(name);
      } else {
        this.env.put(name, value);
      }
    });
  }

  /** Storage and worker only; call {@link #startServer} to run the orchestrator. */
  public static TestOrchestrator prepare(Path dir) throws IOException {
    return new TestOrchestrator(dir, Map.of(), UnaryOperator.identity());
  }

  public static TestOrchestrator prepare(Path dir, Map<String, String> env) throws IOException {
    return new TestOrchestrator(dir, env, UnaryOperator.identity());
  }

  /**
   * @param env overrides of the default environment; a null value removes the variable
   * @param dataSources wraps the storage's data source (JDBC tracing)
   */
  public static TestOrchestrator prepare(Path dir, Map<String, String> env,
      UnaryOperator<DataSource> dataSources) throws IOException {
    return new TestOrchestrator(dir, env, dataSources);
  }

  public static TestOrchestrator start(Path dir) throws IOException {
    TestOrchestrator t = prepare(dir);
    t.startServer(UnaryOperator.identity());
    return t;
  }

  public TestOrchestrator startServer(UnaryOperator<OrchestratorServer.Builder> customize) {
    OrchestratorConfig config = OrchestratorConfig.fromEnvironment(env);
    server = customize.apply(
            OrchestratorServer.builder(config, storage)
                .hmacSecret(SECRET.getBytes(StandardCharsets.UTF_8))
                .localQueue(q -> q.minBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(50)))
                .relay(r -> r.pollInterval(Duration.ofMillis(50))
                    .minRetryDelay(Duration.ofMillis(50))
                    .maxRetryDelay(Duration.ofMillis(200))))
        .build();
    server.start();
    client = new ApiClient(server.port());
    return this;
  }

  public ApiClient api() {
    return client;
  }

  public OrchestratorServer server() {
    return server;
  }

  public void stopServer() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public void close() {
    stopServer();
    worker.close();
    storage.close();
  }
}
