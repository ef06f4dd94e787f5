package io.servo.cli;

import io.servo.cli.server.Services;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "orchestrator", mixinStandardHelpOptions = true, description = "Run the orchestrator service (Cloud Run), configured from the environment, on PORT (default 8080).")
final class OrchestratorCommand implements Callable<Integer> {
  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> env = System.getenv();
    Services services = new Services();
    try {
      ServoTelemetry telemetry =
          services.telemetry(Services.configured(() -> TracingConfig.from(env)), "servo-orchestrator");
      OrchestratorConfig config = Services.configured(() -> OrchestratorConfig.fromEnvironment(env));
      ServoStorage storage = services.storage(config.databaseUrl(), telemetry);
      services.orchestrator(config, storage, env, null, telemetry, traceId -> java.util.Optional.empty());
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    services.awaitShutdown();
    return 0;
  }
}
