package io.servo.cli.e2e;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.cli.server.Services;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real orchestrator, local queue and worker on a fresh PostgreSQL database, assembled as {@code
 * servo orchestrator} and {@code servo worker} are ({@link Services}), tracing into in-memory
 * exporters with ids drawn from seeded generators, so that which traces the ratio sampler accepts
 * is the same on every run.
 */
final class TracedServices implements AutoCloseable {
  static final long ORCHESTRATOR_SEED = 20261207L;
  static final long WORKER_SEED = 42L;

  final InMemorySpanExporter workerSpans = InMemorySpanExporter.create();
  final InMemorySpanExporter orchestratorSpans = InMemorySpanExporter.create();
  final PostgresTestDatabase database;
  final ServoTelemetry workerTelemetry;
  final ServoTelemetry orchestratorTelemetry;
  final List<ServoTelemetry> telemetries;
  final URI base;
  private final Services services = new Services();

  /**
   * {@code extra} is both services' environment on top of tracing on at 1% with no exporter of its
   * own; {@code clock} is the telemetry's (drop reports, the keep cap's minute).
   */
  TracedServices(Map<String, String> extra, Clock clock) {
    database = PostgresTestDatabase.create();
    Map<String, String> env = new HashMap<>();
    env.put("SERVO_DATABASE_URL", database.url());
    env.put("SERVO_HMAC_SECRET", LocalStack.SECRET);
    env.put("SERVO_TRACE_ENABLED", "true");
    env.put("SERVO_TRACE_SAMPLE_RATE", "0.01");
    env.put("SERVO_TRACE_EXPORTER", "none");
    env.put("SERVO_WORKER_THREADS", "16");
    env.putAll(extra);
    TracingConfig tracing = TracingConfig.from(env);
    workerTelemetry = ServoTelemetry.builder(tracing, "servo-worker").clock(clock)
        .idGenerator(new SeededIds(WORKER_SEED)).addSpanExporter(workerSpans).start();
    orchestratorTelemetry = ServoTelemetry.builder(tracing, "servo-orchestrator").clock(clock)
        .idGenerator(new SeededIds(ORCHESTRATOR_SEED)).addSpanExporter(orchestratorSpans).start();
    telemetries = List.of(workerTelemetry, orchestratorTelemetry);
    try {
      base = start(env);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  private URI start(Map<String, String> env) {
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.put("PORT", "0");
    var worker = services.worker(io.servo.worker.WorkerConfig.fromEnvironment(workerEnv),
        services.storage(database.url(), workerTelemetry), workerEnv, workerTelemetry);
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.put("PORT", "0");
    orchestratorEnv.put("SERVO_WORKER_URL", "http://127.0.0.1:" + worker.port());
    OrchestratorServer orchestrator = services.orchestrator(OrchestratorConfig.fromEnvironment(orchestratorEnv),
        services.storage(database.url(), orchestratorTelemetry), orchestratorEnv, null, orchestratorTelemetry,
        id -> Optional.empty());
    return URI.create("http://127.0.0.1:" + orchestrator.port() + "/");
  }

  /** Exports everything ended so far. */
  void flush() {
    telemetries.forEach(t -> t.forceFlush(Duration.ofSeconds(5)));
  }

  /** Every span both services exported so far. */
  List<SpanData> allSpans() {
    List<SpanData> spans = new ArrayList<>(orchestratorSpans.getFinishedSpanItems());
    spans.addAll(workerSpans.getFinishedSpanItems());
    return spans;
  }

  @Override
  public void close() {
    services.close();
    telemetries.forEach(t -> t.shutdown(Duration.ofSeconds(5)));
    database.close();
  }
}
