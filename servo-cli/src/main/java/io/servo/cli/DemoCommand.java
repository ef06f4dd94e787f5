package io.servo.cli;

import io.servo.cli.client.ApiClient;
import io.servo.cli.client.CliException;
import io.servo.cli.client.RunCommand;
import io.servo.cli.server.Services;
import io.servo.cli.server.StartupSettings;
import io.servo.cli.webhook.WebhookSink;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.cli.server.LocalTraces;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run examples/daily_sales.yaml end to end in one process with a temporary database.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--workflow", paramLabel = "FILE", description = "Workflow file (default examples/daily_sales.yaml)")
  Path workflowFile;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path home = Path.of(System.getenv().getOrDefault("SERVO_HOME", ".")).toAbsolutePath().normalize();
    Path file = workflowFile != null ? workflowFile : home.resolve("examples/daily_sales.yaml");
    if (!Files.isRegularFile(file)) {
      throw CliException.usage("no workflow file at " + file + "; run ./servo demo from the Servo checkout or pass --workflow FILE");
    }
    quietLogs();
    Path dir = Files.createTempDirectory("servo-demo-");
    String hookToken = LocalSecrets.randomToken(24);
    AtomicInteger hookCalls = new AtomicInteger();
    WebhookSink hook = WebhookSink.start(new InetSocketAddress("127.0.0.1", 0), hookToken, call -> {
      if (call.accepted()) {
        hookCalls.incrementAndGet();
      }
    });
    Services services = new Services();
    try {
      Map<String, String> env = demoEnvironment(home, dir, hook, hookToken);
      StartupSettings settings = new StartupSettings("servo demo");
      TracingConfig tracingFromEnv = settings.tracing(env);
      WorkerConfig workerConfig = settings.worker(env);
      settings.orchestrator(env); // read again below, once SERVO_WORKER_URL has the worker's port
      settings.check();
      byte[] secret = LocalSecrets.hmacSecret(Map.of());
      TracingConfig tracing = LocalTracing.demo(tracingFromEnv, System.out);
      LocalTraces traces = new LocalTraces();
      ServoTelemetry workerTelemetry = services.telemetry(tracing, "servo-worker", traces.newExporter());
      ServoTelemetry orchestratorTelemetry = services.telemetry(tracing, "servo-orchestrator", traces.newExporter());
      String databaseUrl = env.get("SERVO_DATABASE_URL");
      WorkerServer worker = services.worker(workerConfig.withHmacSecret(new String(secret, StandardCharsets.UTF_8)),
          services.storage(databaseUrl, workerTelemetry), env, workerTelemetry);
      env.put("SERVO_WORKER_URL", "http://127.0.0.1:" + worker.port());
      OrchestratorServer orchestrator = services.orchestrator(
          Services.configured(() -> OrchestratorConfig.fromEnvironment(env)),
          services.storage(databaseUrl, orchestratorTelemetry), env, secret, orchestratorTelemetry,
          (traceId, tenant) -> traces.waterfall(traceId, tenant));

      ApiClient api = new ApiClient(URI.create("http://127.0.0.1:" + orchestrator.port() + "/"), null);
      System.out.println("Servo demo: orchestrator, local queue and worker in one process; database " + dir.resolve("servo.db"));
      byte[] definition = Files.readAllBytes(file);
      String name = io.servo.core.workflow.WorkflowLoader.parse(definition).name();
      ApiClient.Answer deployed = api.put("v1/workflows/" + name, definition, "application/yaml");
      if (!deployed.ok()) {
        throw new CliException("deploy failed: " + deployed.errorText());
      }
      System.out.println("deployed " + name + " version " + deployed.body().path("version").asText()
          + ", plan " + deployed.body().path("assets"));
      ApiClient.Answer started = api.post("v1/workflows/" + name + "/executions", null);
      if (!started.ok()) {
        throw new CliException("run failed: " + started.errorText());
      }
      String id = started.body().path("execution_id").asText();
      System.out.println("execution " + id + " started");
      int exit = RunCommand.follow(api, id, Duration.ofMinutes(5));
      System.out.println("webhook received " + hookCalls.get() + " authenticated call(s)");
      String traceId = api.get("v1/executions/" + id).body().path("trace_id").asText(null);
      if (traceId != null) {
        printTrace(traceId, traces, workerTelemetry, orchestratorTelemetry);
      }
      return exit;
    } finally {
      services.close();
      hook.close();
      deleteRecursively(dir);
    }
  }

  /**
   * Prints the execution's trace once both services exported it: the worker's server span ends just
   * after its response, so the demo flushes until that span has arrived (bounded).
   */
  private static void printTrace(String traceId, LocalTraces traces, ServoTelemetry... telemetries)
      throws InterruptedException {
    for (int i = 0; i < 25; i++) {
      for (ServoTelemetry t : telemetries) {
        t.forceFlush(Duration.ofSeconds(1));
      }
      if (traces.spans(traceId).stream().anyMatch(s -> s.getName().equals("POST /execute"))) {
        break;
      }
      Thread.sleep(100);
    }
    System.out.println();
    System.out.print(traces.waterfall(traceId).orElse("  (no spans were recorded)\n"));
  }

  /** The demo prints its own progress; service logs show only warnings and errors. */
  private static void quietLogs() {
    if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  /** The services' environment: the user's, with the demo's own database, ports and example secrets. */
  private static Map<String, String> demoEnvironment(Path home, Path dir, WebhookSink hook, String hookToken) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.startsWith("SERVO_") && !k.startsWith("SERVO_TRACE_") && !k.equals("SERVO_LOG_FORMAT"));
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("servo.db"));
    env.put("SERVO_WORKDIR", home.toString());
    env.put("PORT", "0");
    env.put("REPORT_API_KEY", LocalSecrets.randomToken(24));
    env.put("HOOK_TOKEN", hookToken);
    env.put("NOTIFY_URL", "http://127.0.0.1:" + hook.port() + "/hook");
    // The demo is its own operator: it grants the example's tenant the variables the example
    // references and its webhook on loopback, which http assets may not reach by default.
    env.put("SERVO_TENANT_DEFAULT_ENV", "REPORT_API_KEY,HOOK_TOKEN,NOTIFY_URL");
    env.put("SERVO_TENANT_DEFAULT_HTTP_HOSTS", "127.0.0.1:" + hook.port());
    return env;
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
