package io.servo.bench.coldstart;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two services of {@code servo.jar}, each started as its own JVM the way Cloud Run starts it
 * (docs/cloud-run.md): {@code java -jar servo.jar orchestrator|worker}, configured from the
 * environment of a production deployment, listening on {@code PORT}.
 */
public enum Service {
  ORCHESTRATOR("orchestrator", "servo-orchestrator"),
  WORKER("worker", "servo-worker");

  /** Signs tasks between the two services; only its length matters here (≥ 32 bytes in production). */
  private static final String HMAC_SECRET = "servo-bench-signing-key-0123456789abcdefghijklmnop";

  private final String command;
  private final String serviceName;

  Service(String command, String serviceName) {
    this.command = command;
    this.serviceName = serviceName;
  }

  /** The subcommand of {@code servo.jar}. */
  public String command() {
    return command;
  }

  /** The OpenTelemetry {@code service.name} Servo's tracing gives this service. */
  public String serviceName() {
    return serviceName;
  }

  /**
   * Servo's variables of this service as production sets them, except for what a machine without
   * Google Cloud cannot give: the database is the benchmark's PostgreSQL, the orchestrator's queue is
   * the local one (no task is ever enqueued, so the worker URL is never called), and {@code K_SERVICE}
   * is not set. On Cloud Run it would make tracing ask the metadata server for the resource, which
   * answers there within milliseconds but here only gives up after 3 s; the JSON log lines
   * it would select are asked for with {@code SERVO_LOG_FORMAT} instead. The worker's OIDC check is on,
   * as in production: Google's signing keys are fetched on the first task, never at start-up.
   */
  Map<String, String> environment(String databaseUrl, int port) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SERVO_ENVIRONMENT", "production");
    env.put("SERVO_DATABASE_URL", databaseUrl);
    env.put("SERVO_HMAC_SECRET", HMAC_SECRET);
    env.put("SERVO_LOG_FORMAT", "json");
    env.put("PORT", Integer.toString(port));
    switch (this) {
      case ORCHESTRATOR -> {
        env.put("SERVO_API_TOKENS", "bench:servo-bench-token-not-a-secret");
        env.put("SERVO_QUEUE", "local");
        env.put("SERVO_WORKER_URL", "http://127.0.0.1:9");
      }
      case WORKER -> {
        env.put("SERVO_OIDC_AUDIENCE", "https://servo-worker.invalid");
        env.put("SERVO_OIDC_ALLOWED_EMAILS", "servo-tasks@servo-bench.invalid");
      }
    }
    return env;
  }

  @Override
  public String toString() {
    return command;
  }
}
