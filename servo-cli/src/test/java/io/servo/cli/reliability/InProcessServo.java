package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.cli.client.ApiClient;
import io.servo.cli.server.Services;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.Execution;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A worker and an orchestrator (local queue) in this JVM, each with its own tracing SDK, storage
 * pool and environment, assembled the way {@code servo dev} does through {@link Services}. Each
 * service may point at its own database URL (a TCP proxy in front of PostgreSQL, say).
 */
final class InProcessServo implements AutoCloseable {
  static final String SECRET = "reliability-hmac-secret-0123456789-abcdefghij";
  static final String TENANT = "default";

  final Services services = new Services();
  final ServoTelemetry workerTelemetry;
  final ServoTelemetry orchestratorTelemetry;
  final ServoStorage storage;
  /** Null when the worker runs elsewhere ({@link Builder#workerUrl}). */
  final WorkerServer worker;
  final OrchestratorServer orchestrator;
  final ApiClient api;

  private InProcessServo(Builder b) {
    try {
      Map<String, String> env = new HashMap<>();
      env.put("PATH", System.getenv("PATH"));
      env.put("SERVO_ENVIRONMENT", "development");
      env.put("SERVO_HMAC_SECRET", SECRET);
      env.put("SERVO_DATABASE_URL", b.databaseUrl);
      env.putAll(b.env);
      TracingConfig tracing = TracingConfig.from(env);
      workerTelemetry = services.telemetry(tracing, "servo-worker");
      orchestratorTelemetry = services.telemetry(tracing, "servo-orchestrator");

      String workerUrl = b.workerUrl;
      if (workerUrl == null) {
        Map<String, String> workerEnv = new HashMap<>(env);
        workerEnv.put("PORT", "0");
        workerEnv.put("SERVO_DATABASE_URL", b.workerDatabaseUrl);
        worker = services.worker(WorkerConfig.fromEnvironment(workerEnv),
            services.storage(b.workerDatabaseUrl, workerTelemetry), workerEnv, workerTelemetry);
        workerUrl = "http://127.0.0.1:" + worker.port();
      } else {
        worker = null;
      }

      Map<String, String> orchestratorEnv = new HashMap<>(env);
      orchestratorEnv.put("PORT", "0");
      orchestratorEnv.put("SERVO_WORKER_URL", workerUrl);
      storage = services.storage(b.databaseUrl, orchestratorTelemetry);
      orchestrator = b.orchestrator.apply(
              OrchestratorServer.builder(OrchestratorConfig.fromEnvironment(orchestratorEnv), storage)
                  .openTelemetry(orchestratorTelemetry.openTelemetry())
                  .traceLinks(id -> orchestratorTelemetry.traceLinks().url(id))
                  .traceWaterfall(id -> Optional.empty()))
          .build();
      orchestrator.start();
      api = new ApiClient(URI.create("http://127.0.0.1:" + orchestrator.port() + "/"), null);
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
  }

  static Builder builder(String databaseUrl) {
    return new Builder(databaseUrl);
  }

  /** A started execution: its id and the trace id the API returned. */
  record Started(String id, String traceId) {}

  void deploy(String name, String yaml) {
    ApiClient.Answer answer = api.put("v1/workflows/" + name, yaml.getBytes(StandardCharsets.UTF_8), "application/yaml");
    assertThat(answer.ok()).as(answer.errorText()).isTrue();
  }

  Started start(String workflow) {
    ApiClient.Answer answer = api.post("v1/workflows/" + workflow + "/executions", null);
    assertThat(answer.status()).as(answer.errorText()).isEqualTo(201);
    return new Started(answer.body().path("execution_id").asText(), answer.body().path("trace_id").asText());
  }

  Execution execution(String id) {
    return storage.executions().find(TENANT, id).orElseThrow();
  }

  /** Polls the database until the execution has ended or {@code timeout} passed. */
  Optional<Execution> awaitEnded(String id, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Execution e = execution(id);
      if (e.state().isEnded()) {
        return Optional.of(e);
      }
      if (System.nanoTime() > deadline) {
        return Optional.empty();
      }
      Thread.sleep(20);
    }
  }

  long droppedSpans() {
    return workerTelemetry.droppedSpans() + orchestratorTelemetry.droppedSpans();
  }

  @Override
  public void close() {
    try {
      orchestrator.close();
    } finally {
      services.close();
    }
  }

  static final class Builder {
    private final String databaseUrl;
    private String workerDatabaseUrl;
    private final Map<String, String> env = new HashMap<>();
    private UnaryOperator<OrchestratorServer.Builder> orchestrator = UnaryOperator.identity();
    private String workerUrl;

    private Builder(String databaseUrl) {
      this.databaseUrl = databaseUrl;
      this.workerDatabaseUrl = databaseUrl;
    }

    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    Builder env(Map<String, String> values) {
      env.putAll(values);
      return this;
    }

    /** The worker's SERVO_DATABASE_URL when it differs from the orchestrator's. */
    Builder workerDatabaseUrl(String url) {
      this.workerDatabaseUrl = url;
      return this;
    }

    /** Starts no worker here: the local queue delivers to this URL (a worker process). */
    Builder workerUrl(String url) {
      this.workerUrl = url;
      return this;
    }

    Builder orchestrator(UnaryOperator<OrchestratorServer.Builder> customize) {
      this.orchestrator = customize;
      return this;
    }

    InProcessServo start() {
      return new InProcessServo(this);
    }
  }
}
