package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.orchestrator.OrchestratorConfig;
import io.servo.queue.cloudtasks.CloudTasksConfig;
import io.servo.settings.SettingsException;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every {@code SERVO_*} (and {@code OTEL_*}, {@code GCP_*}, {@code PORT}) parser, in process, fed
 * thousands of generated values. A value either parses, or the parser throws its own documented
 * exception whose message names the variable, is of bounded size, cannot forge a line (no raw control
 * character) and never quotes a secret: the HMAC key, an API token, an OTLP header value, or the
 * password of any URL.
 */
class ConfigFuzzTest {
  /** Planted wherever an operator might put a secret. */
  private static final String SECRET = "PW-SECRET-7f3a9c";

  private static final Map<String, String> GOOD = new LinkedHashMap<>();

  static {
    GOOD.put("PORT", "8080");
    GOOD.put("SERVO_ENVIRONMENT", "production");
    GOOD.put("SERVO_HMAC_SECRET", "a-good-hmac-secret-of-enough-bytes-" + SECRET);
    GOOD.put("SERVO_API_TOKENS", "acme:tok-" + SECRET + ",globex:tok2-" + SECRET);
    // URL passwords are planted only where they stay passwords (withSecret): a mutation may turn
    // "password=x" into text that no longer says what x is. Whole-value secrets carry it always.
    GOOD.put("SERVO_DATABASE_URL", "jdbc:postgresql://db:5432/servo?user=servo&password=pw");
    GOOD.put("SERVO_WAREHOUSE_URL", "jdbc:postgresql://u:pw@wh:5432/wh");
    GOOD.put("SERVO_QUEUE", "local");
    GOOD.put("SERVO_WORKER_URL", "http://localhost:8081");
    GOOD.put("SERVO_LOCAL_QUEUE_MAX_ATTEMPTS", "10");
    GOOD.put("SERVO_MAX_BODY_BYTES", "1048576");
    GOOD.put("SERVO_TRACE_INBOUND", "parent");
    GOOD.put("SERVO_WORKER_THREADS", "8");
    GOOD.put("SERVO_EXECUTION_LEASE", "60s");
    GOOD.put("SERVO_WORKDIR", ".");
    GOOD.put("SERVO_OIDC_ENABLED", "true");
    GOOD.put("SERVO_OIDC_AUDIENCE", "https://worker.example");
    GOOD.put("SERVO_OIDC_ALLOWED_EMAILS", "tasks@p.iam.gserviceaccount.com");
    GOOD.put("SERVO_OIDC_ISSUER", "https://accounts.google.com");
    GOOD.put("SERVO_OIDC_JWKS_URL", "https://www.googleapis.com/oauth2/v3/certs");
    GOOD.put("SERVO_RATE_LIMIT_PER_TENANT", "5");
    GOOD.put("SERVO_TRACE_ENABLED", "true");
    GOOD.put("SERVO_TRACE_SAMPLE_RATE", "0.5");
    GOOD.put("SERVO_TRACE_EXPORTER", "otlp");
    GOOD.put("SERVO_TRACE_ENDPOINT", "http://collector:4318");
    GOOD.put("SERVO_TRACE_REDACT_KEYS", "customer_email");
    GOOD.put("SERVO_LOG_FORMAT", "json");
    GOOD.put("SERVO_TRACE_FLUSH_ON_RESPONSE", "true");
    GOOD.put("SERVO_TRACE_UI_URL", "http://localhost:16686/trace/{trace_id}");
    GOOD.put("GCP_PROJECT_ID", "demo-project");
    GOOD.put("GCP_LOCATION", "europe-west1");
    GOOD.put("GCP_QUEUE_NAME", "servo-tasks");
    GOOD.put("GCP_WORKER_URL", "https://worker.example");
    GOOD.put("GCP_SERVICE_ACCOUNT_EMAIL", "tasks@p.iam.gserviceaccount.com");
    GOOD.put("SERVO_CLOUD_TASKS_ENDPOINT", "localhost:8123");
    GOOD.put("OTEL_SERVICE_NAME", "servo");
    GOOD.put("OTEL_RESOURCE_ATTRIBUTES", "team=data,region=eu");
    GOOD.put("OTEL_TRACES_EXPORTER", "otlp");
    GOOD.put("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
    GOOD.put("OTEL_TRACES_SAMPLER_ARG", "0.25");
    GOOD.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
    GOOD.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces");
    GOOD.put("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20" + SECRET);
    GOOD.put("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-api-key=" + SECRET);
    GOOD.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    GOOD.put("OTEL_EXPORTER_OTLP_TIMEOUT", "10000");
    GOOD.put("OTEL_BSP_MAX_QUEUE_SIZE", "2048");
    GOOD.put("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512");
    GOOD.put("OTEL_BSP_SCHEDULE_DELAY", "2000");
  }

  private static final List<String> WORKER = List.of("PORT", "SERVO_ENVIRONMENT", "SERVO_HMAC_SECRET",
      "SERVO_DATABASE_URL", "SERVO_WAREHOUSE_URL", "SERVO_WORKER_THREADS", "SERVO_MAX_BODY_BYTES",
      "SERVO_EXECUTION_LEASE", "SERVO_WORKDIR", "SERVO_OIDC_ENABLED", "SERVO_OIDC_AUDIENCE",
      "SERVO_OIDC_ALLOWED_EMAILS", "SERVO_OIDC_ISSUER", "SERVO_OIDC_JWKS_URL", "SERVO_RATE_LIMIT_PER_TENANT");
  private static final List<String> ORCHESTRATOR = List.of("PORT", "SERVO_ENVIRONMENT", "SERVO_API_TOKENS",
      "SERVO_HMAC_SECRET", "SERVO_DATABASE_URL", "SERVO_QUEUE", "SERVO_WORKER_URL", "SERVO_LOCAL_QUEUE_MAX_ATTEMPTS",
      "SERVO_MAX_BODY_BYTES", "SERVO_TRACE_INBOUND");
  private static final List<String> TRACING = List.of("SERVO_ENVIRONMENT", "SERVO_TRACE_ENABLED",
      "SERVO_TRACE_SAMPLE_RATE", "SERVO_TRACE_EXPORTER", "SERVO_TRACE_ENDPOINT", "SERVO_TRACE_REDACT_KEYS",
      "SERVO_LOG_FORMAT", "SERVO_TRACE_FLUSH_ON_RESPONSE", "SERVO_TRACE_UI_URL", "GCP_PROJECT_ID",
      "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER",
      "OTEL_TRACES_SAMPLER_ARG", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
      "OTEL_BSP_SCHEDULE_DELAY");
  private static final List<String> CLOUD_TASKS = List.of("GCP_PROJECT_ID", "GCP_LOCATION", "GCP_QUEUE_NAME",
      "GCP_WORKER_URL", "GCP_SERVICE_ACCOUNT_EMAIL", "SERVO_OIDC_AUDIENCE", "SERVO_CLOUD_TASKS_ENDPOINT");

  @Test
  void workerConfig() {
    fuzz("WorkerConfig.fromEnvironment", WORKER, SettingsException.class,
        env -> WorkerConfig.fromEnvironment(env).toString());
  }

  @Test
  void tracingConfig() {
    fuzz("TracingConfig.from", TRACING, SettingsException.class, env -> TracingConfig.from(env).toString());
  }

  @Test
  void cloudTasksConfig() {
    fuzz("CloudTasksConfig.fromEnvironment", CLOUD_TASKS, SettingsException.class,
        env -> CloudTasksConfig.fromEnvironment(env).toString());
  }

  @Test
  void orchestratorConfig() {
    fuzz("OrchestratorConfig.fromEnvironment", ORCHESTRATOR, SettingsException.class,
        env -> OrchestratorConfig.fromEnvironment(env).toString());
  }

  private static void fuzz(String parser, List<String> variables, Class<? extends RuntimeException> documented,
      Function<Map<String, String>, String> parse) {
    long seed = Hostile.seed("ConfigFuzzTest." + parser);
    Hostile h = new Hostile(seed);
    int iterations = Hostile.iterations(3000);
    List<String> failures = new ArrayList<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < iterations; i++) {
      Map<String, String> env = new HashMap<>();
      variables.forEach(v -> env.put(v, GOOD.get(v)));
      List<String> changed = new ArrayList<>();
      int edits = 1 + h.nextInt(3);
      for (int e = 0; e < edits; e++) {
        String variable = h.pick(variables);
        changed.add(variable);
        if (h.chance(0.1)) {
          env.remove(variable);
        } else {
          env.put(variable, value(h, variable));
        }
      }
      String what = "#" + i + " " + Hostile.show(changed.stream().map(v -> v + "=" + env.get(v)).toList().toString());
      try {
        String shown = parse.apply(env);
        outcomes.merge("accepted", 1, Integer::sum);
        if (shown.contains(SECRET)) {
          failures.add(what + ": toString() shows a secret: " + Hostile.show(shown));
        }
      } catch (RuntimeException ex) {
        outcomes.merge(ex.getClass().getSimpleName(), 1, Integer::sum);
        String message = String.valueOf(ex.getMessage());
        if (!documented.isInstance(ex)) {
          failures.add(what + ": threw " + ex.getClass().getName() + ": " + Hostile.show(message));
          continue;
        }
        if (message.contains(SECRET)) {
          failures.add(what + ": the message shows a secret: " + Hostile.show(message));
        }
        // SettingsException lists its problems one per line, by design.
        if (Hostile.hasRawControl(message.replace("\n  - ", ""))) {
          failures.add(what + ": the message holds a raw control character: " + Hostile.show(message));
        }
        if (message.length() > 4096) {
          failures.add(what + ": a message of " + message.length() + " characters");
        }
        if (variables.stream().noneMatch(message::contains)) {
          failures.add(what + ": the message names no variable: " + Hostile.show(message));
        }
      }
    }
    System.out.println("  " + parser + ": " + iterations + " environments, " + outcomes);
    failures.stream().limit(20).forEach(f -> System.out.println("    FAILURE " + f));
    assertThat(failures).as("seed %d: %s", seed, parser).isEmpty();
  }

  /** A value for {@code variable}: good, mutated, garbage, or carrying a secret where secrets live. */
  private static String value(Hostile h, String variable) {
    String good = GOOD.get(variable);
    return switch (h.nextInt(8)) {
      case 0 -> h.mutate(good);
      case 1 -> h.garbage(40);
      case 2 -> h.nasty() + good + h.nasty();
      case 3 -> good + "\n" + Hostile.FORGED;
      case 4 -> h.pick(List.of("", " ", "0", "-1", "2147483648", "NaN", "1e3", "true", "TRUE", "0x10", "\u0000",
          "9".repeat(5000), "x".repeat(100_000)));
      default -> withSecret(h, variable, good);
    };
  }

  /** {@code good} with a secret where an operator could put one: a URL's password, a token, a key. */
  private static String withSecret(Hostile h, String variable, String good) {
    if (variable.endsWith("_URL") || variable.endsWith("ENDPOINT") || variable.endsWith("ISSUER")) {
      // (jdbc:sqlite: takes a file name, and SERVO_OIDC_AUDIENCE only names the worker: no password there)
      String scheme = h.pick(List.of("https://", "http://", "jdbc:postgresql://", "postgres://", "jdbc:mysql://",
          "ftp://", ""));
      return h.pick(List.of(
          scheme + "servo:" + SECRET + "@db.internal:5432/servo",
          scheme + "db.internal/servo?user=servo&password=" + SECRET,
          scheme + "db.internal/servo?password=" + SECRET + "&x=" + h.garbage(5),
          scheme + "user:" + SECRET + "@host:99999/x?y#z",
          scheme + "u:" + SECRET + "@" + h.garbage(10),
          "jdbc:postgresql://db/servo?user=servo&password=" + SECRET + "\n" + Hostile.FORGED,
          good.replace("://", "://u:" + SECRET + "@") + h.pick(List.of("", "?q=1", "#f", " x"))));
    }
    return switch (variable) {
      case "SERVO_HMAC_SECRET" -> h.pick(List.of(SECRET, SECRET + "\n" + Hostile.FORGED, "short-" + SECRET.substring(0, 6),
          h.garbage(10) + SECRET + h.garbage(10)));
      case "SERVO_API_TOKENS" -> h.pick(List.of("acme:" + SECRET + ",acme:" + SECRET + "2", "acme " + SECRET,
          "acme:" + SECRET + " x", ":" + SECRET, "acme:" + SECRET + ",globex:" + SECRET, "bad tenant:" + SECRET,
          "acme:" + SECRET + "\u0000", "acme:tok," + SECRET, h.mutate("acme:" + SECRET)));
      case "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS" -> h.pick(List.of(
          "Authorization=Bearer " + SECRET + ",=broken", "x-api-key=" + SECRET + "%zz", SECRET, "=" + SECRET,
          "a=" + SECRET + "," + h.garbage(5)));
      default -> h.mutate(good);
    };
  }
}
