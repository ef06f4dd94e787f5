package io.servo.cli;

import io.servo.cli.server.Services;
import io.servo.cli.server.StartupSettings;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.cli.server.LocalTraces;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "dev", mixinStandardHelpOptions = true, description = "Run orchestrator, local queue and worker in one process for local development.")
final class DevCommand implements Callable<Integer> {
  private final Map<String, String> environment;

  DevCommand() {
    this(System.getenv());
  }

  /** @param environment the variables to run with (tests pass their own) */
  DevCommand(Map<String, String> environment) {
    this.environment = environment;
  }

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> env = new HashMap<>(environment);
    env.putIfAbsent("SERVO_ENVIRONMENT", "development");
    StartupSettings settings = new StartupSettings("servo dev");
    TracingConfig tracingFromEnv = settings.tracing(env);
    WorkerConfig workerFromEnv = settings.worker(env);
    OrchestratorConfig orchestratorConfig = settings.orchestrator(env);
    settings.check();
    URI workerUrl = orchestratorConfig.workerUrl();
    Services services = new Services();
    try {
      byte[] secret = LocalSecrets.hmacSecret(env);
      TracingConfig tracing = LocalTracing.dev(tracingFromEnv);
      LocalTraces traces = new LocalTraces();
      ServoTelemetry workerTelemetry = services.telemetry(tracing, "servo-worker", traces.newExporter());
      ServoTelemetry orchestratorTelemetry = services.telemetry(tracing, "servo-orchestrator", traces.newExporter());
      WorkerConfig workerConfig = workerFromEnv
          .withPort(workerUrl.getPort() < 0 ? 8081 : workerUrl.getPort())
          .withHmacSecret(new String(secret, java.nio.charset.StandardCharsets.UTF_8));
      WorkerServer worker;
      try {
        worker = services.worker(workerConfig,
            services.storage(workerConfig.databaseUrl(), workerTelemetry), env, workerTelemetry);
      } catch (StartupException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot listen on port")) {
          // The worker's port comes from SERVO_WORKER_URL here, not from PORT.
          throw new StartupException("cannot listen on port " + workerConfig.port() + " for the worker (the port of "
              + "SERVO_WORKER_URL=" + workerUrl + "): is another servo dev or worker running? Stop it, or set "
              + "SERVO_WORKER_URL to a free port, e.g. http://localhost:8091", e);
        }
        throw e;
      }
      OrchestratorServer orchestrator = services.orchestrator(orchestratorConfig,
          services.storage(orchestratorConfig.databaseUrl(), orchestratorTelemetry), env, secret,
          orchestratorTelemetry, (traceId, tenant) -> {
            // `servo status` right after `run --wait`: the execution's last spans may still wait in
            // the batch processors; a flush first makes the waterfall whole.
            workerTelemetry.forceFlush(java.time.Duration.ofSeconds(1));
            orchestratorTelemetry.forceFlush(java.time.Duration.ofSeconds(1));
            return traces.waterfall(traceId, tenant);
          });
      // With JSON logs stdout is a stream of JSON lines (Cloud Logging, jq): the banner is one of them.
      java.util.function.Consumer<String> banner = tracing.logFormat() == io.servo.telemetry.config.LogFormat.JSON
          ? org.slf4j.LoggerFactory.getLogger(DevCommand.class)::info
          : System.out::println;
      banner.accept(String.format("servo dev: orchestrator http://localhost:%d, worker http://localhost:%d, database %s",
          orchestrator.port(), worker.port(), orchestratorConfig.databaseUrl().replaceAll("\\?.*", "")));
      banner.accept("tracing " + LocalTracing.describe(tracing)
          + (tracing.enabled() ? "; `servo status ID` shows an execution's trace" : ""));
      banner.accept("try: ./servo deploy examples/daily_sales.yaml && ./servo run daily_sales --wait");
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    services.awaitShutdown();
    return 0;
  }
}
