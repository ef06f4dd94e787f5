package io.servo.cli;

import io.servo.cli.server.Services;
import io.servo.cli.server.StartupSettings;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "worker", mixinStandardHelpOptions = true, description = "Run the worker service (Cloud Run), configured from the environment, on PORT (default 8081).")
final class WorkerCommand implements Callable<Integer> {
  private final Map<String, String> env;

  WorkerCommand() {
    this(System.getenv());
  }

  /** @param env the variables to run with (tests pass their own) */
  WorkerCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws InterruptedException {
    StartupSettings settings = new StartupSettings("the worker");
    TracingConfig tracing = settings.tracing(env);
    WorkerConfig config = settings.worker(env);
    settings.check();
    Services services = new Services();
    try {
      ServoTelemetry telemetry = services.telemetry(tracing, "servo-worker");
      ServoStorage storage = services.storage(config.databaseUrl(), telemetry);
      services.worker(config, storage, env, telemetry);
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    services.awaitShutdown();
    return 0;
  }
}
