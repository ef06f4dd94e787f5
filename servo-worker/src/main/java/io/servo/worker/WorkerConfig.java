package io.servo.worker;

import io.servo.core.task.TaskSignature;
import io.servo.core.tenant.TenantPolicy;
import io.servo.core.tenant.TenantPolicyException;
import io.servo.core.workflow.Durations;
import io.servo.core.text.QuotedValue;
import io.servo.worker.auth.OidcConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * @param oidc {@code SERVO_OIDC_*}: the ID token the queue must send; on by default outside
 *     development
 * @param rateLimitPerTenant {@code SERVO_RATE_LIMIT_PER_TENANT}: executions a tenant may start per
 *     second (bursts of twice that); 0 means no limit
 * @param tenants {@code SERVO_TENANT_<TENANT>_*}: what the operator granted each tenant
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
    Path workdir,
    OidcConfig oidc,
    double rateLimitPerTenant,
    TenantPolicy tenants) {

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
  private static final double MAX_RATE_LIMIT = 10_000;
  private static final Pattern RATE = Pattern.compile("\\d{1,6}(\\.\\d{1,6})?");
  private static final int MAX_ECHO = 120;
  private static final Pattern URL_PASSWORD =
      Pattern.compile("(?i)(password=)[^&;]*|(//[^/@:]*:)[^/]*@");

  public WorkerConfig {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(databaseUrl, "databaseUrl");
    Objects.requireNonNull(warehouseUrl, "warehouseUrl");
    Objects.requireNonNull(executionLease, "executionLease");
    Objects.requireNonNull(workdir, "workdir");
    Objects.requireNonNull(oidc, "oidc");
    Objects.requireNonNull(tenants, "tenants");
    if (!(rateLimitPerTenant >= 0) || rateLimitPerTenant > MAX_RATE_LIMIT) {
      throw new IllegalArgumentException(
          "rateLimitPerTenant must be 0 (off) to " + MAX_RATE_LIMIT + ", got " + rateLimitPerTenant);
    }
    if (hmacSecret != null) {
      checkSecretLength(hmacSecret);
    }
  }

  /**
   * Reads the configuration from {@code env} (normally {@code System.getenv()}).
   *
   * @throws WorkerConfigException naming the variable, the value and the accepted values, when a
   *     value cannot be used; when {@code SERVO_HMAC_SECRET} is missing outside development; or
   *     when OIDC is on without {@code SERVO_OIDC_AUDIENCE} or {@code SERVO_OIDC_ALLOWED_EMAILS}
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
        workdir(env.get("SERVO_WORKDIR")),
        oidc(env, environment),
        rateLimit(env.get("SERVO_RATE_LIMIT_PER_TENANT")),
        tenants(env, environment));
  }

  private static TenantPolicy tenants(Map<String, String> env, Environment environment) {
    try {
      return TenantPolicy.fromEnvironment(env, environment == Environment.DEVELOPMENT);
    } catch (TenantPolicyException e) {
      throw new WorkerConfigException(String.join("; ", e.problems()));
    }
  }

  /** The same configuration with a secret supplied by the caller (the {@code demo} command generates one). */
  public WorkerConfig withHmacSecret(String secret) {
    Objects.requireNonNull(secret, "secret");
    return new WorkerConfig(port, environment, secret, databaseUrl, warehouseUrl, workerThreads,
        maxBodyBytes, executionLease, workdir, oidc, rateLimitPerTenant, tenants);
  }

  public WorkerConfig withPort(int newPort) {
    return new WorkerConfig(newPort, environment, hmacSecret, databaseUrl, warehouseUrl,
        workerThreads, maxBodyBytes, executionLease, workdir, oidc, rateLimitPerTenant, tenants);
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
    // Validated values may still hold control characters (a workdir's name) or a credential (a key
    // in the JWKS URL's query): the whole text is masked and escaped.
    return QuotedValue.of(masked("WorkerConfig[port=" + port + ", environment=" + environment.wireName()
        + ", hmacSecret=" + (hmacSecret == null ? "(none)" : "(set)")
        + ", databaseUrl=" + withoutPassword(databaseUrl)
        + ", warehouseUrl=" + withoutPassword(warehouseUrl)
        + ", workerThreads=" + workerThreads + ", maxBodyBytes=" + maxBodyBytes
        + ", executionLease=" + Durations.format(executionLease) + ", workdir=" + workdir
        + ", " + oidc + ", rateLimitPerTenant="
        + (rateLimitPerTenant == 0 ? "off" : rateLimitPerTenant + "/s")
        + ", tenantGrants=" + tenants.grantKeys() + "]"), Integer.MAX_VALUE);
  }

  /** A JDBC URL fit for a message or a log line: passwords in it are masked, control characters escaped. */
  static String withoutPassword(String url) {
    return QuotedValue.escapeControlCharacters(masked(url));
  }

  private static String masked(String url) {
    return URL_PASSWORD.matcher(url).replaceAll(m -> Matcher.quoteReplacement(
        m.group(1) != null ? m.group(1) + "****" : m.group(2) + "****@"));
  }

  /**
   * A value as a message quotes it: in quotes, passwords masked (also in a URL without its scheme),
   * at most {@value #MAX_ECHO} characters, control characters escaped so the message stays one line.
   */
  private static String quoted(String value) {
    return "'" + QuotedValue.of(masked(value), MAX_ECHO) + "'";
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
        "SERVO_ENVIRONMENT=" + quoted(value) + " is not valid: use production, staging or development");
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
        name + "=" + quoted(value) + " is not valid: use " + what + " from " + min + " to " + max
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
          name + "=" + quoted(value) + " is not valid: use "
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
          "SERVO_EXECUTION_LEASE=" + quoted(value) + " is not valid: use a duration from 1s to 1h such as "
              + "30s, 2m or 1m30s (default 60s)");
    }
    return lease;
  }

  private static Path workdir(String raw) {
    String value = blankToNull(raw);
    Path dir;
    try {
      dir = Path.of(value == null ? "" : value).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      dir = null; // a NUL, say: no directory has this name
    }
    if (dir == null || !Files.isDirectory(dir)) {
      throw new WorkerConfigException(
          "SERVO_WORKDIR=" + quoted(String.valueOf(value)) + " is not valid: use an existing directory "
              + "(default the current directory)");
    }
    return dir;
  }

  private static OidcConfig oidc(Map<String, String> env, Environment environment) {
    String enabledRaw = blankToNull(env.get("SERVO_OIDC_ENABLED"));
    boolean enabled;
    if (enabledRaw == null) {
      enabled = environment != Environment.DEVELOPMENT;
    } else if (enabledRaw.trim().equalsIgnoreCase("true")) {
      enabled = true;
    } else if (enabledRaw.trim().equalsIgnoreCase("false")) {
      enabled = false;
    } else {
      throw new WorkerConfigException(
          "SERVO_OIDC_ENABLED=" + quoted(enabledRaw) + " is not valid: use true or false "
              + "(default true in production and staging, false in development)");
    }
    String issuer = oidcIssuer(blankToNull(env.get("SERVO_OIDC_ISSUER")));
    URI jwksUrl = jwksUrl(blankToNull(env.get("SERVO_OIDC_JWKS_URL")));
    String audience = blankToNull(env.get("SERVO_OIDC_AUDIENCE"));
    List<String> emails = allowedEmails(env.get("SERVO_OIDC_ALLOWED_EMAILS"));
    if (!enabled) {
      return new OidcConfig(false, audience == null ? null : audience.trim(), issuer, emails, jwksUrl);
    }
    List<String> missing = new ArrayList<>();
    List<String> hints = new ArrayList<>();
    if (audience == null) {
      missing.add("SERVO_OIDC_AUDIENCE");
      hints.add("set SERVO_OIDC_AUDIENCE to the audience Cloud Tasks puts in its ID tokens, the "
          + "worker's URL, e.g. https://servo-worker-abc123-ew.a.run.app (the orchestrator's "
          + "GCP_WORKER_URL, or its SERVO_OIDC_AUDIENCE when set there)");
    }
    if (emails.isEmpty()) {
      missing.add("SERVO_OIDC_ALLOWED_EMAILS");
      hints.add("set SERVO_OIDC_ALLOWED_EMAILS to the email of the service account Cloud Tasks "
          + "signs the tokens as (the orchestrator's GCP_SERVICE_ACCOUNT_EMAIL), e.g. "
          + "servo-tasks@my-project.iam.gserviceaccount.com; separate several with commas");
    }
    if (!missing.isEmpty()) {
      String why = enabledRaw != null
          ? "SERVO_OIDC_ENABLED=true"
          : "SERVO_OIDC_ENABLED is true by default when SERVO_ENVIRONMENT=" + environment.wireName();
      throw new WorkerConfigException(
          "OIDC verification of Cloud Tasks requests is on (" + why + ") but "
              + String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are")
              + " not set: " + String.join("; ", hints)
              + ". To rely on the HMAC signature alone (not recommended outside development), set "
              + "SERVO_OIDC_ENABLED=false");
    }
    return new OidcConfig(true, audience.trim(), issuer, emails, jwksUrl);
  }

  private static String oidcIssuer(String value) {
    if (value == null || value.trim().equals("accounts.google.com")) {
      return OidcConfig.GOOGLE_ISSUER;
    }
    String issuer = value.trim();
    if (httpUrl(issuer) == null) {
      throw new WorkerConfigException(
          "SERVO_OIDC_ISSUER=" + quoted(value) + " is not valid: use the issuer's https URL exactly as it "
              + "appears in the tokens' iss claim (default " + OidcConfig.GOOGLE_ISSUER + ")");
    }
    return issuer;
  }

  private static URI jwksUrl(String value) {
    if (value == null) {
      return OidcConfig.GOOGLE_JWKS_URL;
    }
    URI url = httpUrl(value.trim());
    if (url == null) {
      throw new WorkerConfigException(
          "SERVO_OIDC_JWKS_URL=" + quoted(value) + " is not valid: use the https URL where the issuer "
              + "publishes its keys (http only on localhost; default " + OidcConfig.GOOGLE_JWKS_URL + ")");
    }
    return url;
  }

  /** An https URL, or an http one on the loopback interface (a test's key server); else null. */
  private static URI httpUrl(String value) {
    try {
      URI url = new URI(value);
      String host = url.getHost();
      if (host == null || url.getRawUserInfo() != null) {
        return null;
      }
      boolean loopback = host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
      return "https".equals(url.getScheme()) || ("http".equals(url.getScheme()) && loopback)
          ? url : null;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  private static List<String> allowedEmails(String raw) {
    List<String> emails = new ArrayList<>();
    if (raw == null) {
      return emails;
    }
    for (String part : raw.split(",", -1)) {
      String email = part.trim();
      if (email.isEmpty()) {
        continue;
      }
      int at = email.indexOf('@');
      if (at <= 0 || at != email.lastIndexOf('@') || at == email.length() - 1
          || email.chars().anyMatch(Character::isWhitespace)) {
        throw new WorkerConfigException(
            "SERVO_OIDC_ALLOWED_EMAILS=" + quoted(raw) + " is not valid: " + quoted(email) + " is not an email; "
                + "use comma-separated service account emails such as "
                + "servo-tasks@my-project.iam.gserviceaccount.com");
      }
      emails.add(email);
    }
    return emails;
  }

  private static double rateLimit(String raw) {
    String value = blankToNull(raw);
    if (value == null || value.trim().equalsIgnoreCase("off")) {
      return 0;
    }
    // Plain decimals only: Double.parseDouble would also take "NaN", "1e3" or "5d".
    if (RATE.matcher(value.trim()).matches()) {
      double rate = Double.parseDouble(value.trim());
      if (rate == 0 || (rate >= 0.001 && rate <= MAX_RATE_LIMIT)) {
        return rate;
      }
    }
    throw new WorkerConfigException(
        "SERVO_RATE_LIMIT_PER_TENANT=" + quoted(value) + " is not valid: use the executions a tenant may "
            + "start per second, a number from 0.001 to 10000 such as 5 or 0.5 (bursts of twice that "
            + "are allowed), or 0 or off for no limit (default off)");
  }

  /** Null for an unset value, and for one that holds only spaces or control characters (what trim() removes). */
  private static String blankToNull(String value) {
    return value == null || value.trim().isEmpty() ? null : value;
  }
}
