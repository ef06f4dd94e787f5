package io.servo.worker;

import io.servo.core.task.TaskSignature;
import io.servo.core.workflow.Durations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The worker's configuration, read once at start-up from the environment by {@link
 * #fromEnvironment(Map)}. Every value is validated there, so a bad deployment stops before it
 * accepts a task. {@link #toString()} never shows the HMAC secret.
 *
 * @param port {@code PORT}: the HTTP port; 0 picks a free one
 * @param environment {@code SERVO_ENVIRONMENT}
 * @param hmacSecret {@code SERVO_HMAC_SECRET}: the task signing key, at least {@value
 *     TaskSignature#MIN_SECRET_BYTES} bytes; null only in development until {@link
 *     #withHmacSecret(String)} supplies one
 * @param databaseUrl {@code SERVO_DATABASE_URL}: Servo's own database
 * @param warehouseUrl {@code SERVO_WAREHOUSE_URL}: where {@code sql} assets run
 * @param workerThreads {@code SERVO_WORKER_THREADS}: requests handled at once (each runs one
 *     execution synchronously)
 * @param maxBodyBytes {@code SERVO_MAX_BODY_BYTES}: the largest task body accepted
 * @param executionLease {@code SERVO_EXECUTION_LEASE}: how long a claim lasts without renewal; a
 *     heartbeat renews it every third of it
 * @param workdir {@code SERVO_WORKDIR}: the working directory of {@code command} assets
 */
public record WorkerConfig(
    int port,
    Environment environment,
    String hmacSecret,
    String databaseUrl,
    String warehouseUrl,
    int workerThreads,
    int maxBodyBytes,
    Duration executionLease,
    Path workdir) {

  /** {@code SERVO_ENVIRONMENT}: production and staging insist on real secrets. */
  public enum Environment {
    PRODUCTION,
    STAGING,
    DEVELOPMENT;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final int DEFAULT_PORT = 8081;
  public static final String DEFAULT_DATABASE_URL = "jdbc:sqlite:.servo/servo.db";
  public static final int DEFAULT_WORKER_THREADS = 8;
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  public static final Duration DEFAULT_EXECUTION_LEASE = Duration.ofSeconds(60);

  static final String GENERATE_HINT = "generate one with: openssl rand -base64 48";
  private static final int MAX_WORKER_THREADS = 1024;
  private static final int MIN_BODY_BYTES = 1024;
  private static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
  private static final Duration MIN_LEASE = Duration.ofSeconds(1);
  private static final Duration MAX_LEASE = Duration.ofHours(1);
  private static final Pattern URL_PASSWORD =
      Pattern.compile("(?i)(password=)[^&;]*|(//[^/@:]*:)[^/@]*@");

  public WorkerConfig {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(databaseUrl, "databaseUrl");
    Objects.requireNonNull(warehouseUrl, "warehouseUrl");
    Objects.requireNonNull(executionLease, "executionLease");
    Objects.requireNonNull(workdir, "workdir");
    if (hmacSecret != null) {
      checkSecretLength(hmacSecret);
    }
  }

  /**
   * Reads the configuration from {@code env} (normally {@code System.getenv()}).
   *
   * @throws WorkerConfigException naming the variable, the value and the accepted values, when a
   *     value cannot be used; or when {@code SERVO_HMAC_SECRET} is missing outside development
   */
  public static WorkerConfig fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    Environment environment = environment(env.get("SERVO_ENVIRONMENT"));
    String secret = blankToNull(env.get("SERVO_HMAC_SECRET"));
    if (secret == null && environment != Environment.DEVELOPMENT) {
      throw new WorkerConfigException(
          "SERVO_HMAC_SECRET is required when SERVO_ENVIRONMENT=" + environment.wireName()
              + ": set it to the task signing key shared with the orchestrator (at least "
              + TaskSignature.MIN_SECRET_BYTES + " bytes); " + GENERATE_HINT);
    }
    String databaseUrl = jdbcUrl(env, "SERVO_DATABASE_URL", DEFAULT_DATABASE_URL, true);
    String warehouseUrl = jdbcUrl(env, "SERVO_WAREHOUSE_URL", databaseUrl, false);
    return new WorkerConfig(
        integer(env, "PORT", DEFAULT_PORT, 0, 65535, "a TCP port number"),
        environment,
        secret,
        databaseUrl,
        warehouseUrl,
        integer(env, "SERVO_WORKER_THREADS", DEFAULT_WORKER_THREADS, 1, MAX_WORKER_THREADS,
            "a number of threads"),
        integer(env, "SERVO_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, MIN_BODY_BYTES, MAX_BODY_BYTES,
            "a size in bytes"),
        lease(env.get("SERVO_EXECUTION_LEASE")),
        workdir(env.get("SERVO_WORKDIR")));
  }

  /** The same configuration with a secret supplied by the caller (the {@code demo} command generates one). */
  public WorkerConfig withHmacSecret(String secret) {
    Objects.requireNonNull(secret, "secret");
    return new WorkerConfig(port, environment, secret, databaseUrl, warehouseUrl, workerThreads,
        maxBodyBytes, executionLease, workdir);
  }

  public WorkerConfig withPort(int newPort) {
    return new WorkerConfig(newPort, environment, hmacSecret, databaseUrl, warehouseUrl,
        workerThreads, maxBodyBytes, executionLease, workdir);
  }

  /**
   * The secret the worker verifies tasks with.
   *
   * @throws WorkerConfigException when none was configured
   */
  public String requireHmacSecret() {
    if (hmacSecret == null) {
      throw new WorkerConfigException(
          "SERVO_HMAC_SECRET is not set: the worker cannot verify tasks without the orchestrator's "
              + "signing key (at least " + TaskSignature.MIN_SECRET_BYTES + " bytes); "
              + GENERATE_HINT + " and give the same value to the orchestrator "
              + "(`servo demo` generates one for both)");
    }
    return hmacSecret;
  }

  /** The heartbeat period: a third of the lease, so two renewals may fail before the lease lapses. */
  public Duration heartbeatInterval() {
    return executionLease.dividedBy(3);
  }

  @Override
  public String toString() {
    return "WorkerConfig[port=" + port + ", environment=" + environment.wireName()
        + ", hmacSecret=" + (hmacSecret == null ? "(none)" : "(set)")
        + ", databaseUrl=" + withoutPassword(databaseUrl)
        + ", warehouseUrl=" + withoutPassword(warehouseUrl)
        + ", workerThreads=" + workerThreads + ", maxBodyBytes=" + maxBodyBytes
        + ", executionLease=" + Durations.format(executionLease) + ", workdir=" + workdir + "]";
  }

  /** A JDBC URL fit for a message or a log line: passwords in it are masked. */
  static String withoutPassword(String url) {
    return URL_PASSWORD.matcher(url).replaceAll(m -> Matcher.quoteReplacement(
        m.group(1) != null ? m.group(1) + "****" : m.group(2) + "****@"));
  }

  private static void checkSecretLength(String secret) {
    int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
    if (bytes < TaskSignature.MIN_SECRET_BYTES) {
      throw new WorkerConfigException(
          "SERVO_HMAC_SECRET is too short (" + bytes + " bytes; at least "
              + TaskSignature.MIN_SECRET_BYTES + " are required); " + GENERATE_HINT);
    }
  }

  private static Environment environment(String raw) {
    String value = blankToNull(raw);
    if (value == null) {
      return Environment.DEVELOPMENT;
    }
    for (Environment e : Environment.values()) {
      if (e.wireName().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return e;
      }
    }
    throw new WorkerConfigException(
        "SERVO_ENVIRONMENT='" + value + "' is not valid: use production, staging or development");
  }

  private static int integer(
      Map<String, String> env, String name, int fallback, int min, int max, String what) {
    String value = blankToNull(env.get(name));
    if (value == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new WorkerConfigException(
        name + "='" + value + "' is not valid: use " + what + " from " + min + " to " + max
            + " (default " + fallback + ")");
  }

  private static String jdbcUrl(
      Map<String, String> env, String name, String fallback, boolean servoDatabase) {
    String value = blankToNull(env.get(name));
    if (value == null) {
      return fallback;
    }
    value = value.trim();
    boolean ok =
        servoDatabase
            ? value.startsWith("jdbc:postgresql:") || value.startsWith("jdbc:sqlite:")
            : value.startsWith("jdbc:");
    if (!ok) {
      throw new WorkerConfigException(
          name + "='" + withoutPassword(value) + "' is not valid: use "
              + (servoDatabase
                  ? "a jdbc:postgresql:… or jdbc:sqlite:… URL"
                  : "a JDBC URL (jdbc:postgresql:… or jdbc:sqlite:…)"));
    }
    return value;
  }

  private static Duration lease(String raw) {
    String value = blankToNull(raw);
    if (value == null) {
      return DEFAULT_EXECUTION_LEASE;
    }
    Duration lease = Durations.parse(value.trim()).orElse(null);
    if (lease == null || lease.compareTo(MIN_LEASE) < 0 || lease.compareTo(MAX_LEASE) > 0) {
      throw new WorkerConfigException(
          "SERVO_EXECUTION_LEASE='" + value + "' is not valid: use a duration from 1s to 1h such as "
              + "30s, 2m or 1m30s (default 60s)");
    }
    return lease;
  }

  private static Path workdir(String raw) {
    String value = blankToNull(raw);
    Path dir = Path.of(value == null ? "" : value).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new WorkerConfigException(
          "SERVO_WORKDIR='" + value + "' is not valid: use an existing directory "
              + "(default the current directory)");
    }
    return dir;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
