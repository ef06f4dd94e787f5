package io.servo.cli;

import io.servo.cli.server.Services;
import io.servo.cli.server.StartupSettings;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "orchestrator", mixinStandardHelpOptions = true, description = "Run the orchestrator service (Cloud Run), configured from the environment, on PORT (default 8080).")
final class OrchestratorCommand implements Callable<Integer> {
  private final Map<String, String> env;

  OrchestratorCommand() {
    this(System.getenv());
  }

  /** @param env the variables to run with (tests pass their own) */
  OrchestratorCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws InterruptedException {
    StartupSettings settings = new StartupSettings("the orchestrator");
    TracingConfig tracing = settings.tracing(env);
    OrchestratorConfig config = settings.orchestrator(env);
    settings.check();
    Services services = new Services();
    try {
      ServoTelemetry telemetry = services.telemetry(tracing, "servo-orchestrator");
      ServoStorage storage = services.storage(config.databaseUrl(), telemetry);
      services.orchestrator(config, storage, env, null, telemetry, traceId -> Optional.empty());
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    services.awaitShutdown();
    return 0;
  }
}
