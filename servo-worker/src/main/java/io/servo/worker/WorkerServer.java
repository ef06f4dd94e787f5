package io.servo.worker;

import io.opentelemetry.api.OpenTelemetry;
import io.servo.core.task.TaskSignature;
import io.servo.storage.ServoStorage;
import io.servo.worker.assets.AssetRunners;
import io.servo.worker.assets.CommandSandbox;
import io.servo.worker.assets.EgressGuard;
import io.servo.worker.auth.IdTokenVerifier;
import io.servo.worker.auth.TaskAuthenticator;
import io.servo.worker.execution.ExecutionInterceptor;
import io.servo.worker.execution.WorkflowExecutor;
import io.servo.worker.http.WorkerHttpService;
import io.servo.worker.ratelimit.TenantRateLimiter;
import io.servo.worker.tracing.WorkerTracing;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  /**
   * How long {@link #close()} lets running requests finish. Cloud Run sends SIGKILL 10 s after
   * SIGTERM; after the drain come up to 2 s to kill a command that ignores SIGTERM, stopping the
   * HTTP server and the final span flush, so the drain gets half of it.
   */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);
  /** Threads of the HTTP client the worker builds: its tasks are short, at most one per CPU is busy. */
  private static final int HTTP_CLIENT_THREADS =
      Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
  private static final Logger log = LoggerFactory.getLogger(WorkerServer.class);

  static {
    // Before this class builds the JDK HTTP client: http assets pin their address with a Host header.
    EgressGuard.allowHostHeader();
  }

  private final WorkerConfig config;
  private final WorkerHttpService http;
  private final AssetRunners runners;
  private final ScheduledExecutorService heartbeats;
  /** The threads of the HTTP client the worker built; null when the caller gave one. */
  private final ExecutorService httpClientThreads;
  private final Duration shutdownGrace;
  private boolean started;
  private boolean closed;

  private WorkerServer(Builder b) {
    this.config = b.config;
    this.shutdownGrace = b.shutdownGrace;
    TaskSignature signature = TaskSignature.create(
        b.config.requireHmacSecret().getBytes(StandardCharsets.UTF_8), b.clock,
        TaskSignature.DEFAULT_WINDOW);
    // Without an executor the JDK's client starts an unbounded pool whose threads outlive the worker
    // by a minute; these are reused, named, and stopped by close().
    this.httpClientThreads = b.httpClient != null ? null : httpClientThreads();
    HttpClient httpClient = b.httpClient != null ? b.httpClient
        : HttpClient.newBuilder()
            .executor(httpClientThreads)
            .connectTimeout(Duration.ofSeconds(10))
            // Never follow a redirect: it would carry the asset's (secret) headers to another URL.
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    // An unsampled execution's trace that is kept: the worker's part goes to the execution's row.
    WorkerTracing tracing = WorkerTracing.create(b.openTelemetry, b.clock,
        (tenant, executionId, spans) -> b.storage.executions().recordKeptSpans(tenant, executionId, spans));
    // http assets get the traced client; the OIDC key fetches (before any span exists) the plain one.
    this.runners = AssetRunners.create(b.environment, b.config.workdir(), b.config.warehouseUrl(),
        httpClient, tracing.runners(), b.config.requireHmacSecret().getBytes(StandardCharsets.UTF_8),
        CommandSandbox.start(b.config.environment().isDevelopment(),
            CommandSandbox.dataPaths(b.config.databaseUrl(), b.config.workdir()), b.config.workdir()));
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "servo-worker-lease-heartbeat");
      thread.setDaemon(true);
      return thread;
    });
    WorkflowExecutor executor = WorkflowExecutor.create(b.storage.executions(), runners, b.config.tenants(),
        ExecutionInterceptor.chain(tracing.interceptor(), b.interceptor), b.clock,
        b.config.executionLease(), heartbeats);
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
        authenticator, rateLimiter, executor, b.storage, tracing.deliveries(), b.beforeResponse);
  }

  /**
   * A worker with the system clock, the process environment (for {@code ${env:…}} references and
   * the variables a command inherits) and no interceptor.
   *
   * @throws io.servo.settings.SettingsException when no HMAC secret is configured
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
    http.start();
    started = true;
    log.info("worker listening on port {} ({})", http.port(), config);
    return this;
  }

  /** The port the worker listens on. */
  public int port() {
    return http.port();
  }

  /**
   * Stops accepting tasks (new ones are answered 503), lets running ones finish within the shutdown
   * grace — returning as soon as none is left, so an idle worker closes at once — then interrupts the
   * rest (their executions give their claims back, so a redelivery resumes them), frees the
   * warehouse pool and stops the threads of the HTTP client it built. Does not close the storage.
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
    if (httpClientThreads != null) {
      httpClientThreads.shutdownNow();
    }
    log.info("worker stopped");
  }

  private static ExecutorService httpClientThreads() {
    AtomicInteger count = new AtomicInteger();
    // Threads start on demand and stay. The queue is unbounded, so the policy only discards what the
    // client hands over once close() stopped the pool (a pooled connection closing, say).
    return new ThreadPoolExecutor(HTTP_CLIENT_THREADS, HTTP_CLIENT_THREADS, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), runnable -> {
          Thread thread = new Thread(runnable, "servo-worker-http-client-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        }, new ThreadPoolExecutor.DiscardPolicy());
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
    private OpenTelemetry openTelemetry = OpenTelemetry.noop();
    private Runnable beforeResponse = () -> {};

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

    /**
     * Traces deliveries with this OpenTelemetry (default {@link OpenTelemetry#noop()}: no tracing
     * work at all). Spans: {@code POST /execute} SERVER, parented on the signed payload's trace once
     * the request is authenticated; {@code worker.execute_workflow} CONSUMER; one {@code
     * worker.execute_asset} per asset run; JDBC, HTTP client and subprocess context beneath.
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Runs before each authenticated task is answered, after its spans ended: Cloud Run throttles
     * the CPU once the response is sent, so the CLI passes a bounded flush ({@code
     * telemetry::flushOnResponse}). It must return promptly; an exception from it is logged, and the
     * task is answered anyway.
     */
    public Builder beforeResponse(Runnable beforeResponse) {
      this.beforeResponse = Objects.requireNonNull(beforeResponse, "beforeResponse");
      return this;
    }

    /**
     * Wraps the execution of workflows and assets. Tracing (see {@link #openTelemetry}) wraps
     * outside of it.
     */
    public Builder interceptor(ExecutionInterceptor interceptor) {
      this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
      return this;
    }

    /**
     * The one HTTP client of {@code http} assets and of the OIDC key fetches (an instrumented one,
     * say); it must not follow redirects. The caller keeps it: {@link #close()} leaves its executor
     * running. Without one the worker builds its own on a few reused threads that close() stops.
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
     * @throws io.servo.settings.SettingsException when no HMAC secret is configured
     */
    public WorkerServer build() {
      return new WorkerServer(this);
    }
  }
}
