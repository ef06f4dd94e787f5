package io.servo.worker;

import io.servo.core.task.TaskSignature;
import io.servo.storage.ServoStorage;
import io.servo.worker.assets.AssetRunners;
import io.servo.worker.auth.IdTokenVerifier;
import io.servo.worker.auth.TaskAuthenticator;
import io.servo.worker.execution.ExecutionInterceptor;
import io.servo.worker.execution.WorkflowExecutor;
import io.servo.worker.http.WorkerHttpService;
import io.servo.worker.ratelimit.TenantRateLimiter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker service: authenticates tasks pushed by the queue and runs their executions. Built from
 * a {@link WorkerConfig} and an open {@link ServoStorage} (which the caller keeps and closes):
 *
 * <pre>{@code
 * WorkerConfig config = WorkerConfig.fromEnvironment(System.getenv());
 * try (ServoStorage storage = Storage.open(config.databaseUrl());
 *      WorkerServer worker = WorkerServer.create(config, storage).start()) {
 *   ...
 * }
 * }</pre>
 */
public final class WorkerServer implements AutoCloseable {
  /** How long {@link #close()} lets running requests finish: inside Cloud Run's 10 s SIGTERM grace. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(8);
  private static final Logger log = LoggerFactory.getLogger(WorkerServer.class);

  private final WorkerConfig config;
  private final WorkerHttpService http;
  private final AssetRunners runners;
  private final ScheduledExecutorService heartbeats;
  private final Duration shutdownGrace;
  private boolean started;
  private boolean closed;

  private WorkerServer(Builder b) {
    this.config = b.config;
    this.shutdownGrace = b.shutdownGrace;
    TaskSignature signature = TaskSignature.create(
        b.config.requireHmacSecret().getBytes(StandardCharsets.UTF_8), b.clock,
        TaskSignature.DEFAULT_WINDOW);
    HttpClient httpClient = b.httpClient != null ? b.httpClient
        : HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            // Never follow a redirect: it would carry the asset's (secret) headers to another URL.
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.runners = AssetRunners.create(b.environment, b.config.workdir(), b.config.warehouseUrl(),
        httpClient);
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "servo-worker-lease-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    WorkflowExecutor executor = WorkflowExecutor.create(b.storage.executions(), runners,
        b.interceptor, b.clock, b.config.executionLease(), heartbeats);
    // The same client fetches the OIDC issuer's keys: one HTTP client per worker.
    TaskAuthenticator authenticator = b.config.oidc().enabled()
        ? TaskAuthenticator.create(signature, IdTokenVerifier.create(
            b.config.oidc(), httpClient, b.clock, b.keyRefetchInterval))
        : TaskAuthenticator.create(signature);
    TenantRateLimiter rateLimiter = b.config.rateLimitPerTenant() > 0
        ? TenantRateLimiter.create(b.config.rateLimitPerTenant(), b.clock)
        : null;
    this.http = WorkerHttpService.create(
        new WorkerHttpService.Settings(b.config.port(), b.config.workerThreads(),
            b.config.maxBodyBytes(), b.config.executionLease(), b.clock),
        authenticator, rateLimiter, executor, b.storage);
  }

  /**
   * A worker with the system clock, the process environment (for {@code ${env:…}} references and
   * the variables a command inherits) and no interceptor.
   *
   * @throws WorkerConfigException when no HMAC secret is configured
   */
  public static WorkerServer create(WorkerConfig config, ServoStorage storage) {
    return builder(config, storage).build();
  }

  public static Builder builder(WorkerConfig config, ServoStorage storage) {
    return new Builder(config, storage);
  }

  /**
   * Binds {@code PORT} and starts accepting tasks.
   *
   * @throws UncheckedIOException when the port cannot be bound
   */
  public synchronized WorkerServer start() {
    if (closed || started) {
      throw new IllegalStateException(closed ? "worker is closed" : "worker already started");
    }
    try {
      http.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + config.port() + " (PORT)", e);
    }
    started = true;
    log.info("worker listening on port {} ({})", http.port(), config);
    return this;
  }

  /** The port the worker listens on. */
  public int port() {
    return http.port();
  }

  /**
   * Stops accepting tasks, lets running ones finish within the shutdown grace, then interrupts the
   * rest (their executions give their claims back, so a redelivery resumes them) and frees the
   * warehouse pool. Does not close the storage.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    http.stop(shutdownGrace);
    heartbeats.shutdownNow();
    runners.close();
    log.info("worker stopped");
  }

  /** Options beyond the configuration; the defaults are right for production. */
  public static final class Builder {
    private final WorkerConfig config;
    private final ServoStorage storage;
    private Clock clock = Clock.systemUTC();
    private Map<String, String> environment = System.getenv();
    private ExecutionInterceptor interceptor = ExecutionInterceptor.NONE;
    private HttpClient httpClient;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private Duration keyRefetchInterval = IdTokenVerifier.DEFAULT_KEY_REFETCH_INTERVAL;

    private Builder(WorkerConfig config, ServoStorage storage) {
      this.config = Objects.requireNonNull(config, "config");
      this.storage = Objects.requireNonNull(storage, "storage");
    }

    /** The one clock: signature windows, ID token times, rate limits and asset timestamps. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where {@code ${env:NAME}} resolves and commands' allow-listed variables come from. */
    public Builder environment(Map<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /** Wraps the execution of workflows and assets (tracing installs itself here). */
    public Builder interceptor(ExecutionInterceptor interceptor) {
      this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
      return this;
    }

    /**
     * The one HTTP client of {@code http} assets and of the OIDC key fetches (an instrumented one,
     * say); it must not follow redirects.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * The least time between two fetches of the OIDC issuer's signing keys, however many tokens name
     * an unknown key (default 60 s).
     */
    public Builder oidcKeyRefetchInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("key refetch interval must not be negative, got " + interval);
      }
      this.keyRefetchInterval = interval;
      return this;
    }

    public Builder shutdownGrace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("shutdown grace must not be negative, got " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /**
     * @throws WorkerConfigException when no HMAC secret is configured
     */
    public WorkerServer build() {
      return new WorkerServer(this);
    }
  }
}
