package io.servo.worker;

import io.servo.core.task.TaskSignature;
import io.servo.core.tenant.TenantPolicy;
import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.DurationText;
import io.servo.settings.QuotedValue;
import io.servo.settings.Settings;
import io.servo.settings.SettingsException;
import io.servo.worker.auth.OidcConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
    DeploymentEnvironment environment,
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

  public static final int DEFAULT_PORT = 8081;
  public static final String DEFAULT_DATABASE_URL = "jdbc:sqlite:.servo/servo.db";
  public static final int DEFAULT_WORKER_THREADS = 8;
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  public static final Duration DEFAULT_EXECUTION_LEASE = Duration.ofSeconds(60);

  /** What cannot start when a variable is unusable; the start of {@link SettingsException}'s message. */
  static final String SUBJECT = "the worker";
  private static final int MAX_WORKER_THREADS = 1024;
  private static final int MIN_BODY_BYTES = 1024;
  private static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
  private static final Duration MIN_LEASE = Duration.ofSeconds(1);
  private static final Duration MAX_LEASE = Duration.ofHours(1);
  private static final double MAX_RATE_LIMIT = 10_000;
  private static final Pattern RATE = Pattern.compile("\\d{1,6}(\\.\\d{1,6})?");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");
  private static final String SERVO_HMAC_SECRET = "SERVO_HMAC_SECRET";

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
      Settings.checkSecretLength(SUBJECT, SERVO_HMAC_SECRET, hmacSecret.getBytes(StandardCharsets.UTF_8).length,
          TaskSignature.MIN_SECRET_BYTES, TaskSignature.SECRET_HINT);
    }
  }

  /**
   * Reads the configuration from {@code env} (normally {@code System.getenv()}).
   *
   * @throws SettingsException listing every value that cannot be used: naming the variable, the
   *     value and the accepted values; {@code SERVO_HMAC_SECRET} missing outside development; OIDC
   *     on without {@code SERVO_OIDC_AUDIENCE} or {@code SERVO_OIDC_ALLOWED_EMAILS}
   */
  public static WorkerConfig fromEnvironment(Map<String, String> env) {
    Settings settings = Settings.of(env, SUBJECT);
    DeploymentEnvironment environment = DeploymentEnvironment.from(settings);
    String secret = settings.secret(SERVO_HMAC_SECRET, TaskSignature.MIN_SECRET_BYTES, TaskSignature.SECRET_HINT);
    if (secret == null && !environment.isDevelopment()) {
      settings.problem(SERVO_HMAC_SECRET,
          "SERVO_HMAC_SECRET is required when SERVO_ENVIRONMENT=" + environment.id()
              + ": set it to the task signing key shared with the orchestrator (at least "
              + TaskSignature.MIN_SECRET_BYTES + " bytes); " + TaskSignature.SECRET_HINT);
    }
    String databaseUrl = settings.value("SERVO_DATABASE_URL", DEFAULT_DATABASE_URL,
        v -> v.startsWith("jdbc:postgresql:") || v.startsWith("jdbc:sqlite:") ? v : null,
        "a jdbc:postgresql:… or jdbc:sqlite:… URL");
    String warehouseUrl = settings.value("SERVO_WAREHOUSE_URL", databaseUrl,
        v -> v.startsWith("jdbc:") ? v : null, "a JDBC URL (jdbc:postgresql:… or jdbc:sqlite:…)");
    int port = settings.integer("PORT", DEFAULT_PORT, 0, 65535);
    int threads = settings.integer("SERVO_WORKER_THREADS", DEFAULT_WORKER_THREADS, 1, MAX_WORKER_THREADS);
    int maxBody = settings.integer("SERVO_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, MIN_BODY_BYTES, MAX_BODY_BYTES);
    Duration lease = settings.duration("SERVO_EXECUTION_LEASE", DEFAULT_EXECUTION_LEASE, MIN_LEASE, MAX_LEASE);
    Path workdir = workdir(settings);
    OidcConfig oidc = oidc(settings, environment);
    double rateLimit = settings.value("SERVO_RATE_LIMIT_PER_TENANT", 0.0, WorkerConfig::rateLimit,
        "the executions a tenant may start per second, a number from 0.001 to 10000 such as 5 or 0.5"
            + " (bursts of twice that are allowed), or 0 or off for no limit (default off)");
    TenantPolicy tenants = TenantPolicy.from(settings, environment.isDevelopment());
    settings.check();
    return new WorkerConfig(port, environment, secret, databaseUrl, warehouseUrl, threads, maxBody, lease,
        workdir, oidc, rateLimit, tenants);
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
   * @throws SettingsException when none was configured
   */
  public String requireHmacSecret() {
    if (hmacSecret == null) {
      throw SettingsException.of(SUBJECT, SERVO_HMAC_SECRET,
          "SERVO_HMAC_SECRET is not set: the worker cannot verify tasks without the orchestrator's "
              + "signing key (at least " + TaskSignature.MIN_SECRET_BYTES + " bytes); "
              + TaskSignature.SECRET_HINT + " and give the same value to the orchestrator "
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
    return QuotedValue.of("WorkerConfig[port=" + port + ", environment=" + environment.id()
        + ", hmacSecret=" + (hmacSecret == null ? "(none)" : "(set)")
        + ", databaseUrl=" + databaseUrl + ", warehouseUrl=" + warehouseUrl
        + ", workerThreads=" + workerThreads + ", maxBodyBytes=" + maxBodyBytes
        + ", executionLease=" + DurationText.format(executionLease) + ", workdir=" + workdir
        + ", " + oidc + ", rateLimitPerTenant="
        + (rateLimitPerTenant == 0 ? "off" : rateLimitPerTenant + "/s")
        + ", tenantGrants=" + tenants.grantKeys() + "]", Integer.MAX_VALUE);
  }

  /** {@code SERVO_WORKDIR}: an existing directory, by default the current one. */
  private static Path workdir(Settings settings) {
    Path cwd = Path.of("").toAbsolutePath();
    return settings.value("SERVO_WORKDIR", cwd, v -> {
      try {
        Path p = Path.of(v).toAbsolutePath().normalize();
        return Files.isDirectory(p) ? p : null;
      } catch (InvalidPathException e) {
        return null; // a NUL, say: no directory has this name
      }
    }, "an existing directory (default the current directory)");
  }

  private static OidcConfig oidc(Settings settings, DeploymentEnvironment environment) {
    boolean explicit = settings.isSet("SERVO_OIDC_ENABLED");
    boolean enabled = settings.bool("SERVO_OIDC_ENABLED", !environment.isDevelopment());
    String issuer = settings.raw("SERVO_OIDC_ISSUER").filter(v -> v.equals("accounts.google.com"))
        .map(v -> OidcConfig.GOOGLE_ISSUER)
        .orElseGet(() -> settings.value("SERVO_OIDC_ISSUER", OidcConfig.GOOGLE_ISSUER,
            v -> httpsUrl(v) == null ? null : v, "the issuer's https URL exactly as it appears in the"
                + " tokens' iss claim (default " + OidcConfig.GOOGLE_ISSUER + ")"));
    URI jwksUrl = settings.value("SERVO_OIDC_JWKS_URL", OidcConfig.GOOGLE_JWKS_URL, WorkerConfig::httpsUrl,
        "the https URL where the issuer publishes its keys (http only on localhost; default "
            + OidcConfig.GOOGLE_JWKS_URL + ")");
    String audience = settings.string("SERVO_OIDC_AUDIENCE", null);
    List<String> emails = settings.list("SERVO_OIDC_ALLOWED_EMAILS", v -> EMAIL.matcher(v).matches() ? v : null,
        "comma-separated service account emails such as servo-tasks@my-project.iam.gserviceaccount.com");
    if (!enabled) {
      return new OidcConfig(false, audience, issuer, emails, jwksUrl);
    }
    List<String> missing = new ArrayList<>();
    List<String> hints = new ArrayList<>();
    if (audience == null) {
      missing.add("SERVO_OIDC_AUDIENCE");
      hints.add("set SERVO_OIDC_AUDIENCE to the audience Cloud Tasks puts in its ID tokens, the "
          + "worker's URL, e.g. https://servo-worker-abc123-ew.a.run.app (the orchestrator's "
          + "GCP_WORKER_URL, or its SERVO_OIDC_AUDIENCE when set there)");
    }
    // Entries that are not emails were reported already; commas alone are no email either.
    if (emails.isEmpty() && !(settings.isSet("SERVO_OIDC_ALLOWED_EMAILS") && settings.hasProblems())) {
      missing.add("SERVO_OIDC_ALLOWED_EMAILS");
      hints.add("set SERVO_OIDC_ALLOWED_EMAILS to the email of the service account Cloud Tasks "
          + "signs the tokens as (the orchestrator's GCP_SERVICE_ACCOUNT_EMAIL), e.g. "
          + "servo-tasks@my-project.iam.gserviceaccount.com; separate several with commas");
    }
    if (!missing.isEmpty()) {
      String why = explicit
          ? "SERVO_OIDC_ENABLED=true"
          : "SERVO_OIDC_ENABLED is true by default when SERVO_ENVIRONMENT=" + environment.id();
      settings.problem(missing.get(0),
          "OIDC verification of Cloud Tasks requests is on (" + why + ") but "
              + String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are")
              + " not set: " + String.join("; ", hints)
              + ". To rely on the HMAC signature alone (not recommended outside development), set "
              + "SERVO_OIDC_ENABLED=false");
      return null;
    }
    return settings.hasProblems() ? null : new OidcConfig(true, audience, issuer, emails, jwksUrl);
  }

  /** A rate limit: off or 0, or a plain decimal from 0.001 to the maximum; else null. */
  private static Double rateLimit(String value) {
    if (value.equalsIgnoreCase("off")) {
      return 0.0;
    }
    // Plain decimals only: Double.parseDouble would also take "NaN", "1e3" or "5d".
    if (!RATE.matcher(value).matches()) {
      return null;
    }
    double rate = Double.parseDouble(value);
    return rate == 0 || (rate >= 0.001 && rate <= MAX_RATE_LIMIT) ? rate : null;
  }

  /** An https URL, or an http one on the loopback interface (a test's key server); else null. */
  private static URI httpsUrl(String value) {
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
}
