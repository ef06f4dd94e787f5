package io.servo.cli.e2e;

import io.servo.cli.client.ApiClient;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real orchestrator, local queue and worker in this JVM, on free ports, sharing one database: the
 * path of an execution in `servo dev`, driven over HTTP like a user would.
 */
final class LocalStack implements AutoCloseable {
  static final String SECRET = "test-hmac-secret-test-hmac-secret-0123456789";
  static final Path HOME = Path.of(System.getenv().getOrDefault("SERVO_HOME", "..")).toAbsolutePath().normalize();

  final ServoStorage storage;
  final WorkerServer worker;
  final OrchestratorServer orchestrator;
  final Map<String, String> env;

  private LocalStack(ServoStorage storage, WorkerServer worker, OrchestratorServer orchestrator, Map<String, String> env) {
    this.storage = storage;
    this.worker = worker;
    this.orchestrator = orchestrator;
    this.env = env;
  }

  /** {@code extraEnv} is both services' environment on top of the defaults (tokens, asset secrets, …). */
  static LocalStack start(String databaseUrl, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", databaseUrl);
    env.put("SERVO_HMAC_SECRET", SECRET);
    env.put("SERVO_WORKDIR", HOME.toString());
    env.put("PORT", "0");
    env.putAll(extraEnv);
    ServoStorage storage = Storage.open(databaseUrl);
    WorkerServer worker = WorkerServer.builder(WorkerConfig.fromEnvironment(env), storage).environment(env).build();
    worker.start();
    env.put("SERVO_WORKER_URL", "http://127.0.0.1:" + worker.port());
    OrchestratorServer orchestrator = OrchestratorServer.builder(OrchestratorConfig.fromEnvironment(env), storage)
        .hmacSecret(SECRET.getBytes(StandardCharsets.UTF_8))
        .build();
    orchestrator.start();
    return new LocalStack(storage, worker, orchestrator, env);
  }

  URI apiUrl() {
    return URI.create("http://127.0.0.1:" + orchestrator.port() + "/");
  }

  ApiClient api(String token) {
    return new ApiClient(apiUrl(), token);
  }

  @Override
  public void close() {
    orchestrator.close();
    worker.close();
    storage.close();
  }
}
