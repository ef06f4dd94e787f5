package io.servo.cli;

import io.servo.cli.server.Services;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "worker", mixinStandardHelpOptions = true, description = "Run the worker service (Cloud Run), configured from the environment, on PORT (default 8081).")
final class WorkerCommand implements Callable<Integer> {
  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> env = System.getenv();
    Services services = new Services();
    try {
      ServoTelemetry telemetry = services.telemetry(Services.configured(() -> TracingConfig.from(env)), "servo-worker");
      WorkerConfig config = Services.configured(() -> WorkerConfig.fromEnvironment(env));
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
