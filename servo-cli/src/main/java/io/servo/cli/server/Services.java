package io.servo.cli.server;

import io.servo.cli.StartupException;
import io.servo.cloud.gcp.tasks.CloudTasksConfigException;
import io.servo.runtime.OrchestratorConfigException;
import io.servo.storage.StorageException;
import io.servo.telemetry.config.TracingConfigException;
import io.servo.worker.WorkerConfigException;
import io.servo.cloud.gcp.tasks.CloudTasksConfig;
import io.servo.cloud.gcp.tasks.CloudTasksQueue;
import io.servo.core.queue.TaskQueue;
import io.servo.runtime.OrchestratorConfig;
import io.servo.runtime.OrchestratorServer;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Starts Servo's services from an environment and stops them in reverse order. Every command that
 * runs a service ({@code orchestrator}, {@code worker}, {@code dev}, {@code demo}) goes through here,
 * so they all validate configuration the same way: a bad value stops start-up with a message.
 */
public final class Services implements AutoCloseable {
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  /** The tracing SDK of one service (a no-op when tracing is disabled). */
  public ServoTelemetry telemetry(TracingConfig tracing, String serviceName) {
    ServoTelemetry telemetry = configured(() -> ServoTelemetry.start(tracing, serviceName));
    started.push(() -> telemetry.shutdown(Duration.ofSeconds(5)));
    return telemetry;
  }

  public ServoStorage storage(String databaseUrl) {
    ServoStorage storage = configured(() -> Storage.open(databaseUrl));
    started.push(storage);
    return storage;
  }

  public WorkerServer worker(WorkerConfig config, ServoStorage storage, Map<String, String> assetEnvironment) {
    WorkerServer worker = configured(() -> WorkerServer.builder(config, storage).environment(assetEnvironment).build());
    worker.start();
    started.push(worker);
    return worker;
  }

  /** The orchestrator with the queue {@code SERVO_QUEUE} names: the embedded local queue or Cloud Tasks. */
  public OrchestratorServer orchestrator(
      OrchestratorConfig config, ServoStorage storage, Map<String, String> env, byte[] hmacSecret) {
    OrchestratorServer.Builder builder = OrchestratorServer.builder(config, storage);
    if (hmacSecret != null) {
      builder.hmacSecret(hmacSecret);
    }
    if (config.queue() == OrchestratorConfig.QueueBackend.CLOUDTASKS) {
      TaskQueue queue = configured(() -> CloudTasksQueue.create(CloudTasksConfig.fromEnvironment(env)));
      started.push(queue);
      builder.taskQueue(queue);
    }
    OrchestratorServer server = configured(builder::build);
    server.start();
    started.push(server);
    return server;
  }

  /** Runs {@code start}, turning a configuration error into a {@link StartupException}. */
  public static <T> T configured(Supplier<T> start) {
    try {
      return start.get();
    } catch (IllegalArgumentException | IllegalStateException | StorageException
        | WorkerConfigException | OrchestratorConfigException | CloudTasksConfigException
        | TracingConfigException e) {
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
