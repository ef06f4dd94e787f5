package io.servo.orchestrator;

import io.servo.core.task.TaskSignature;
import io.servo.core.tenant.TenantPolicy;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.queue.local.LocalTaskQueue;
import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.QuotedValue;
import io.servo.settings.Settings;
import io.servo.settings.SettingsException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The orchestrator's settings, read once at start-up from the environment with {@link
 * #fromEnvironment(Map)}. Every value is validated eagerly; unusable ones throw one {@link
 * SettingsException} naming each variable, its value and the accepted values (API tokens and the
 * HMAC secret are never echoed).
 */
public final class OrchestratorConfig {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OrchestratorConfig.class);

  /** Which queue backend carries tasks to the worker, from {@code SERVO_QUEUE}. */
  public enum QueueBackend {
    /** The embedded {@link io.servo.queue.local.LocalTaskQueue}. */
    LOCAL,
    /** Google Cloud Tasks; the queue comes from servo-cloud-gcp and is passed in by the caller. */
    CLOUDTASKS;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What the API does with a caller's incoming W3C trace context, from {@code SERVO_TRACE_INBOUND}.
   * Whatever the mode, a caller that is not authenticated never gets more than a span link, and a
   * request that fails authentication gets nothing from its headers.
   */
  public enum TraceInbound {
    /** An authenticated caller's context becomes the parent of the request's span (the default). */
    PARENT,
    /** Any caller's context is only linked from the request's span, which starts a new trace. */
    LINK,
    /** Incoming context is dropped. */
    IGNORE;

    /** The value as written in {@code SERVO_TRACE_INBOUND}. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final String PORT = "PORT";
  public static final String SERVO_ENVIRONMENT = "SERVO_ENVIRONMENT";
  public static final String SERVO_API_TOKENS = "SERVO_API_TOKENS";
  public static final String SERVO_HMAC_SECRET = "SERVO_HMAC_SECRET";
  public static final String SERVO_DATABASE_URL = "SERVO_DATABASE_URL";
  public static final String SERVO_QUEUE = "SERVO_QUEUE";
  public static final String SERVO_WORKER_URL = "SERVO_WORKER_URL";
  public static final String SERVO_LOCAL_QUEUE_MAX_ATTEMPTS = "SERVO_LOCAL_QUEUE_MAX_ATTEMPTS";
  public static final String SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES =
      "SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES";
  public static final String SERVO_MAX_BODY_BYTES = "SERVO_MAX_BODY_BYTES";
  public static final String SERVO_TRACE_INBOUND = "SERVO_TRACE_INBOUND";

  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_DATABASE_URL = "jdbc:sqlite:.servo/servo.db";
  public static final URI DEFAULT_WORKER_URL = URI.create("http://localhost:8081");
  public static final int DEFAULT_LOCAL_QUEUE_MAX_ATTEMPTS = 10;
  /** What a worker with the default {@code SERVO_WORKER_THREADS} runs at once. */
  public static final int DEFAULT_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES =
      LocalTaskQueue.DEFAULT_MAX_CONCURRENT_DISPATCHES;
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /** What cannot start when a variable is unusable; the start of {@link SettingsException}'s message. */
  static final String SUBJECT = "the orchestrator";

  private final int port;
  private final DeploymentEnvironment environment;
  private final Map<String, String> apiTokens;
  private final byte[] hmacSecret;
  private final String databaseUrl;
  private final QueueBackend queue;
  private final URI workerUrl;
  private final int localQueueMaxAttempts;
  private final int localQueueMaxConcurrentDispatches;
  private final int maxBodyBytes;
  private final TraceInbound traceInbound;
  private final TenantPolicy tenants;

  private OrchestratorConfig(
      int port,
      DeploymentEnvironment environment,
      Map<String, String> apiTokens,
      byte[] hmacSecret,
      String databaseUrl,
      QueueBackend queue,
      URI workerUrl,
      int localQueueMaxAttempts,
      int localQueueMaxConcurrentDispatches,
      int maxBodyBytes,
      TraceInbound traceInbound,
      TenantPolicy tenants) {
    this.port = port;
    this.environment = environment;
    this.apiTokens = Map.copyOf(apiTokens);
    this.hmacSecret = hmacSecret;
    this.databaseUrl = databaseUrl;
    this.queue = queue;
    this.workerUrl = workerUrl;
    this.localQueueMaxAttempts = localQueueMaxAttempts;
    this.localQueueMaxConcurrentDispatches = localQueueMaxConcurrentDispatches;
    this.maxBodyBytes = maxBodyBytes;
    this.traceInbound = traceInbound;
    this.tenants = tenants;
  }

  /** Reads the process environment. */
  public static OrchestratorConfig fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * Reads the given variables as if they were the process environment.
   *
   * @throws SettingsException listing every value that cannot be used
   */
  public static OrchestratorConfig fromEnvironment(Map<String, String> env) {
    Settings settings = Settings.of(env, SUBJECT);
    int port = settings.integer(PORT, DEFAULT_PORT, 0, 65535);
    DeploymentEnvironment environment = DeploymentEnvironment.from(settings);
    Map<String, String> tokens = apiTokens(settings);
    if (tokens.isEmpty() && !environment.isDevelopment() && !settings.isSet(SERVO_API_TOKENS)) {
      settings.problem(SERVO_API_TOKENS,
          SERVO_API_TOKENS + " is not set, but " + SERVO_ENVIRONMENT + " is " + environment.id()
              + ": outside development every request must authenticate. Set " + SERVO_API_TOKENS
              + "=tenant:token[,tenant:token...] or " + SERVO_ENVIRONMENT + "=development");
    }
    String secretText = settings.secret(SERVO_HMAC_SECRET, TaskSignature.MIN_SECRET_BYTES, TaskSignature.SECRET_HINT);
    if (secretText == null && !environment.isDevelopment()) {
      settings.problem(SERVO_HMAC_SECRET,
          SERVO_HMAC_SECRET + " is not set, but " + SERVO_ENVIRONMENT + " is " + environment.id()
              + ": tasks must be signed with the key the worker verifies. Set " + SERVO_HMAC_SECRET
              + " to at least " + TaskSignature.MIN_SECRET_BYTES + " bytes (" + TaskSignature.SECRET_HINT + ")");
    }
    String databaseUrl = settings.value(SERVO_DATABASE_URL, DEFAULT_DATABASE_URL,
        v -> v.startsWith("jdbc:postgresql:") || v.startsWith("jdbc:sqlite:") ? v : null,
        "a jdbc:postgresql:… or jdbc:sqlite:… URL");
    QueueBackend queue = settings.choice(SERVO_QUEUE, QueueBackend.class, QueueBackend.LOCAL);
    URI workerUrl = settings.httpUrl(SERVO_WORKER_URL, DEFAULT_WORKER_URL, DEFAULT_WORKER_URL.toString());
    int maxAttempts =
        settings.integer(SERVO_LOCAL_QUEUE_MAX_ATTEMPTS, DEFAULT_LOCAL_QUEUE_MAX_ATTEMPTS, 1, 1000);
    int maxConcurrentDispatches = settings.integer(SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES,
        DEFAULT_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES, 1, LocalTaskQueue.MAX_CONCURRENT_DISPATCHES);
    int maxBody = settings.integer(SERVO_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024);
    TraceInbound traceInbound = settings.choice(SERVO_TRACE_INBOUND, TraceInbound.class, TraceInbound.PARENT);
    TenantPolicy tenants = tenants(settings, environment, tokens.keySet());
    settings.check();
    byte[] secret = secretText == null ? null : secretText.getBytes(StandardCharsets.UTF_8);
    return new OrchestratorConfig(port, environment, tokens, secret, databaseUrl, queue, workerUrl,
        maxAttempts, maxConcurrentDispatches, maxBody, traceInbound, tenants);
  }

  /**
   * This configuration with another task-signing key (the {@code demo} and {@code dev} commands
   * pass one they generated and share with their in-process worker).
   *
   * @throws SettingsException when the key is shorter than {@value
   *     TaskSignature#MIN_SECRET_BYTES} bytes
   */
  public OrchestratorConfig withHmacSecret(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    Settings.checkSecretLength(SUBJECT, SERVO_HMAC_SECRET, secret.length, TaskSignature.MIN_SECRET_BYTES,
        TaskSignature.SECRET_HINT);
    return new OrchestratorConfig(port, environment, apiTokens, secret.clone(), databaseUrl, queue,
        workerUrl, localQueueMaxAttempts, localQueueMaxConcurrentDispatches, maxBodyBytes, traceInbound,
        tenants);
  }

  /** This configuration listening on another port (0 picks a free one). */
  public OrchestratorConfig withPort(int newPort) {
    if (newPort < 0 || newPort > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, was " + newPort);
    }
    return new OrchestratorConfig(newPort, environment, apiTokens, hmacSecret, databaseUrl, queue,
        workerUrl, localQueueMaxAttempts, localQueueMaxConcurrentDispatches, maxBodyBytes, traceInbound,
        tenants);
  }

  /** {@code SERVO_TENANT_<TENANT>_*}: what each tenant's workflows may use, and tenants' own workers. */
  public TenantPolicy tenants() {
    return tenants;
  }

  /**
   * The tenant grants, checked against the tenants of {@code SERVO_API_TOKENS}: two tenants whose
   * names share grant variables, and grant variables that name no tenant, are refused.
   */
  private static TenantPolicy tenants(
      Settings settings, DeploymentEnvironment environment, java.util.Set<String> tenantNames) {
    TenantPolicy policy = TenantPolicy.from(settings, environment.isDevelopment());
    java.util.Set<String> tenants = tenantNames.isEmpty()
        ? java.util.Set.of(io.servo.core.workflow.Workflow.DEFAULT_TENANT) : tenantNames;
    TenantPolicy.conflicts(tenants).forEach(p -> settings.problem(SERVO_API_TOKENS, p));
    java.util.Set<String> keys = new java.util.TreeSet<>(policy.grantKeys());
    tenants.forEach(t -> keys.remove(TenantPolicy.grantKey(t)));
    // Only a warning: taking a tenant's token away (revoking it) must not stop the orchestrator.
    for (String key : keys) {
      LOG.warn("{}{}_* grants a tenant that {}", TenantPolicy.PREFIX, key, tenantNames.isEmpty()
          ? "does not exist here: without " + SERVO_API_TOKENS + " every request runs as tenant 'default' "
              + "(" + TenantPolicy.PREFIX + "DEFAULT_*)"
          : "is not in " + SERVO_API_TOKENS + " (" + String.join(", ", new java.util.TreeSet<>(tenantNames))
              + "): check the tenant's name (upper case, '-' as '_')");
    }
    return policy;
  }

  /** {@code PORT}; 0 means any free port. */
  public int port() {
    return port;
  }

  /** {@code SERVO_ENVIRONMENT}. */
  public DeploymentEnvironment environment() {
    return environment;
  }

  /** {@code SERVO_API_TOKENS} as tenant → token; empty means every request runs as tenant {@code default}. */
  public Map<String, String> apiTokens() {
    return apiTokens;
  }

  /** {@code SERVO_HMAC_SECRET} (or the key set with {@link #withHmacSecret}); empty only in development. */
  public Optional<byte[]> hmacSecret() {
    return Optional.ofNullable(hmacSecret).map(byte[]::clone);
  }

  /** {@code SERVO_DATABASE_URL}. */
  public String databaseUrl() {
    return databaseUrl;
  }

  /** {@code SERVO_QUEUE}. */
  public QueueBackend queue() {
    return queue;
  }

  /** {@code SERVO_WORKER_URL}: the local queue POSTs to {@code <this>/execute}. */
  public URI workerUrl() {
    return workerUrl;
  }

  /** {@code SERVO_LOCAL_QUEUE_MAX_ATTEMPTS}: deliveries the local queue tries before giving up. */
  public int localQueueMaxAttempts() {
    return localQueueMaxAttempts;
  }

  /**
   * {@code SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES}: deliveries the local queue has in flight
   * at once (each lasts as long as its execution).
   */
  public int localQueueMaxConcurrentDispatches() {
    return localQueueMaxConcurrentDispatches;
  }

  /** {@code SERVO_MAX_BODY_BYTES}: the largest request body the API reads. */
  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /** {@code SERVO_TRACE_INBOUND}: what becomes of a caller's incoming trace context. */
  public TraceInbound traceInbound() {
    return traceInbound;
  }

  /** Names the tenants but never their tokens or the secret. */
  @Override
  public String toString() {
    return "OrchestratorConfig{port=" + port + ", environment=" + environment.id()
        + ", tenants=" + apiTokens.keySet().stream().sorted().toList()
        + ", hmacSecret=" + (hmacSecret == null ? "unset" : "set")
        + ", databaseUrl=" + QuotedValue.of(withoutQuery(databaseUrl), 300) + ", queue=" + queue.id()
        + ", workerUrl=" + QuotedValue.of(workerUrl.toString(), 300) + ", localQueueMaxAttempts=" + localQueueMaxAttempts
        + ", localQueueMaxConcurrentDispatches=" + localQueueMaxConcurrentDispatches
        + ", maxBodyBytes=" + maxBodyBytes + ", traceInbound=" + traceInbound.id() + "}";
  }

  /**
   * Parses {@code tenant:token,tenant:token}. A malformed entry is reported by position only: the
   * entry may hold a token, and start-up errors end up in logs.
   */
  private static Map<String, String> apiTokens(Settings settings) {
    String v = settings.secret(SERVO_API_TOKENS);
    Map<String, String> tokens = new LinkedHashMap<>();
    if (v == null) {
      return tokens;
    }
    String[] entries = v.split(",", -1);
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      int colon = entry.indexOf(':');
      String problem = null;
      if (colon <= 0 || colon == entry.length() - 1) {
        problem = "is not of the form tenant:token";
      } else if (!WorkflowLoader.NAME.matcher(entry.substring(0, colon)).matches()) {
        problem = "has an invalid tenant name (1-63 letters, digits, '_' or '-', starting with a"
            + " letter or digit)";
      } else if (entry.substring(colon + 1).chars().anyMatch(c -> c <= ' ' || c > '~')) {
        problem = "has a token with spaces or characters outside printable ASCII";
      } else if (tokens.containsKey(entry.substring(0, colon))) {
        problem = "names a tenant that already has a token (one token per tenant)";
      } else if (tokens.containsValue(entry.substring(colon + 1))) {
        problem = "reuses another tenant's token (tokens must be unique)";
      }
      if (problem != null) {
        settings.invalidSecret(SERVO_API_TOKENS, "tenant:token pairs separated by commas, for example"
            + " acme:<token>,globex:<token>; entry " + (i + 1) + " of " + entries.length + " " + problem);
        return Map.of();
      }
      tokens.put(entry.substring(0, colon), entry.substring(colon + 1));
    }
    return tokens;
  }

  private static String withoutQuery(String jdbcUrl) {
    // JDBC URLs may carry a password as a query parameter; show only what comes before it.
    int query = jdbcUrl.indexOf('?');
    return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query) + "?…";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OrchestratorConfig c && port == c.port && environment == c.environment
        && apiTokens.equals(c.apiTokens) && Arrays.equals(hmacSecret, c.hmacSecret)
        && databaseUrl.equals(c.databaseUrl) && queue == c.queue && workerUrl.equals(c.workerUrl)
        && localQueueMaxAttempts == c.localQueueMaxAttempts
        && localQueueMaxConcurrentDispatches == c.localQueueMaxConcurrentDispatches && maxBodyBytes == c.maxBodyBytes
        && traceInbound == c.traceInbound;
  }

  @Override
  public int hashCode() {
    return Objects.hash(port, environment, apiTokens, databaseUrl, queue, workerUrl);
  }
}
