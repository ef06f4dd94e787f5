package io.servo.cli.server;

import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.cli.StartupException;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.queue.cloudtasks.CloudTasksConfig;
import io.servo.queue.cloudtasks.CloudTasksQueue;
import io.servo.settings.SettingsException;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.storage.StorageException;
import io.servo.storage.StorageOptions;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Starts Servo's services from an environment and stops them in reverse order. Every command that
 * runs a service ({@code orchestrator}, {@code worker}, {@code dev}, {@code demo}) goes through here,
 * so they all validate configuration the same way (a bad value stops start-up with a message) and
 * all get the same tracing: one SDK per service, its JDBC, HTTP and gRPC spans, its trace links.
 */
public final class Services implements AutoCloseable {
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  /** The tracing SDK of one service (a no-op when tracing is disabled), exporting also to {@code extra}. */
  public ServoTelemetry telemetry(TracingConfig tracing, String serviceName, SpanExporter... extra) {
    ServoTelemetry telemetry = configured(() -> {
      ServoTelemetry.Builder builder = ServoTelemetry.builder(tracing, serviceName);
      for (SpanExporter exporter : extra) {
        builder.addSpanExporter(exporter);
      }
      return builder.start();
    });
    started.push(() -> telemetry.shutdown(Duration.ofSeconds(5)));
    return telemetry;
  }

  /** Servo's database as one service sees it: its statements traced by that service's SDK. */
  public ServoStorage storage(String databaseUrl, ServoTelemetry telemetry) {
    ServoStorage storage = configured(() -> Storage.open(databaseUrl,
        StorageOptions.defaults().withDataSourceWrapper(telemetry::wrapDataSource)));
    started.push(storage);
    return storage;
  }

  public WorkerServer worker(WorkerConfig config, ServoStorage storage, Map<String, String> assetEnvironment,
      ServoTelemetry telemetry) {
    WorkerServer worker = configured(() -> WorkerServer.builder(config, storage)
        .environment(assetEnvironment)
        .openTelemetry(telemetry.openTelemetry())
        .beforeResponse(telemetry::flushOnResponse)
        .build());
    configured(() -> {
      worker.start();
      return worker;
    });
    started.push(worker);
    return worker;
  }

  /**
   * The orchestrator with the queue {@code SERVO_QUEUE} names: the embedded local queue or Cloud
   * Tasks (its CreateTask calls traced as gRPC client spans).
   *
   * @param hmacSecret the signing key when generated in-process, else null for {@code SERVO_HMAC_SECRET}
   * @param waterfall the in-memory trace view, or {@code id -> Optional.empty()}
   */
  public OrchestratorServer orchestrator(OrchestratorConfig config, ServoStorage storage, Map<String, String> env,
      byte[] hmacSecret, ServoTelemetry telemetry, Function<String, Optional<String>> waterfall) {
    return orchestrator(config, storage, env, hmacSecret, telemetry, (traceId, tenant) -> waterfall.apply(traceId));
  }

  private static CloudTasksQueue cloudTasks(CloudTasksConfig config, ServoTelemetry telemetry) {
    CloudTasksQueue.Builder tasks = CloudTasksQueue.builder(config);
    if (telemetry.enabled()) {
      tasks.addClientInterceptor(GrpcTelemetry.create(telemetry.openTelemetry()).createClientInterceptor());
    }
    return tasks.build();
  }

  /** Like the above, with a waterfall of the part of a trace that belongs to the caller's tenant. */
  public OrchestratorServer orchestrator(OrchestratorConfig config, ServoStorage storage, Map<String, String> env,
      byte[] hmacSecret, ServoTelemetry telemetry, BiFunction<String, String, Optional<String>> waterfall) {
    OrchestratorServer.Builder builder = OrchestratorServer.builder(config, storage)
        .openTelemetry(telemetry.openTelemetry())
        .traceLinks(traceId -> telemetry.traceLinks().url(traceId))
        .traceWaterfall(waterfall);
    if (hmacSecret != null) {
      builder.hmacSecret(hmacSecret);
    }
    if (config.queue() == OrchestratorConfig.QueueBackend.CLOUDTASKS) {
      CloudTasksConfig tasksConfig = configured(() -> CloudTasksConfig.fromEnvironment(env));
      CloudTasksQueue queue = configured(() -> cloudTasks(tasksConfig, telemetry));
      started.push(queue);
      builder.taskQueue(queue);
      // A tenant with a worker of its own: the same queue, tasks addressed to that worker.
      builder.routeQueues(route -> cloudTasks(tasksConfig.forWorker(route.url()), telemetry));
    }
    OrchestratorServer server = configured(builder::build);
    configured(() -> {
      server.start();
      return server;
    });
    started.push(server);
    return server;
  }

  /** Runs {@code start}, turning a configuration error into a {@link StartupException}. */
  public static <T> T configured(Supplier<T> start) {
    try {
      return start.get();
    } catch (IllegalArgumentException | IllegalStateException | StorageException
        | SettingsException | java.io.UncheckedIOException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  /** Stops everything started, newest first. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        System.err.println("servo: error while stopping: " + e.getMessage());
      }
    }
  }

  /** Blocks until the JVM is asked to stop (SIGTERM, Ctrl-C); the hook stops everything within Cloud Run's grace. */
  public void awaitShutdown() throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "servo-shutdown"));
    Thread.currentThread().join();
  }
}
