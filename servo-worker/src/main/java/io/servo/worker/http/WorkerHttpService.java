package io.servo.worker.http;

import io.servo.core.http.JsonHttpServer;
import io.servo.core.http.Route;
import io.servo.storage.ServoStorage;
import io.servo.worker.auth.TaskAuthenticator;
import io.servo.worker.execution.WorkflowExecutor;
import io.servo.worker.ratelimit.TenantRateLimiter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The worker's HTTP endpoints on the {@link JsonHttpServer} scaffold: {@code POST /execute}, {@code GET
 * /health}, {@code GET /ready} (the probes also when the request pool is full). Built and owned by
 * {@code WorkerServer}.
 */
public final class WorkerHttpService {
  /** Everything the endpoints need, checked once here. */
  public record Settings(int port, int threads, int maxBodyBytes, Duration lease, Clock clock) {
    public Settings {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535, got " + port);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      if (maxBodyBytes < 1) {
        throw new IllegalArgumentException("maxBodyBytes must be at least 1, got " + maxBodyBytes);
      }
      Objects.requireNonNull(lease, "lease");
      Objects.requireNonNull(clock, "clock");
    }
  }

  private final JsonHttpServer server;

  private WorkerHttpService(JsonHttpServer server) {
    this.server = server;
  }

  public static WorkerHttpService create(Settings settings, TaskAuthenticator authenticator,
      WorkflowExecutor workflowExecutor, ServoStorage storage) {
    return create(settings, authenticator, null, workflowExecutor, storage);
  }

  /**
   * @param rateLimiter executions started per tenant, checked once the task is authenticated and
   *     decoded; null for no limit
   */
  public static WorkerHttpService create(Settings settings, TaskAuthenticator authenticator,
      TenantRateLimiter rateLimiter, WorkflowExecutor workflowExecutor, ServoStorage storage) {
    return create(settings, authenticator, rateLimiter, workflowExecutor, storage,
        DeliveryObserver.NONE, () -> {});
  }

  /**
   * @param observer sees each authenticated, decoded delivery of {@code /execute} (tracing)
   * @param beforeResponse runs before each such delivery is answered, once the observer's work for it
   *     has ended (a bounded flush of its spans: Cloud Run throttles the CPU after the response)
   */
  public static WorkerHttpService create(Settings settings, TaskAuthenticator authenticator,
      TenantRateLimiter rateLimiter, WorkflowExecutor workflowExecutor, ServoStorage storage,
      DeliveryObserver observer, Runnable beforeResponse) {
    Objects.requireNonNull(settings, "settings");
    ExecuteHandler execute = new ExecuteHandler(
        Objects.requireNonNull(authenticator, "authenticator"), rateLimiter,
        Objects.requireNonNull(workflowExecutor, "workflowExecutor"),
        Objects.requireNonNull(observer, "observer"),
        Objects.requireNonNull(beforeResponse, "beforeResponse"),
        settings.maxBodyBytes(), settings.lease(), settings.clock());
    Objects.requireNonNull(storage, "storage");
    List<Route> routes = List.of(
        Route.of("POST", "/execute", execute),
        Route.of("GET", "/health", HealthHandlers.health()).evenWhenOverloaded(),
        Route.of("HEAD", "/health", HealthHandlers.health()).evenWhenOverloaded(),
        Route.of("GET", "/ready", HealthHandlers.ready(storage)).evenWhenOverloaded(),
        Route.of("HEAD", "/ready", HealthHandlers.ready(storage)).evenWhenOverloaded());
    // As many requests may wait as run: the queue (Cloud Tasks) is a better place to wait.
    return new WorkerHttpService(JsonHttpServer.builder("worker", routes)
        .port(settings.port())
        .requestLimits(settings.threads(), settings.threads())
        .retryAfterSeconds(ExecuteHandler.RETRY_AFTER_SECONDS)
        .build());
  }

  /** Binds the port and starts accepting requests. */
  public void start() {
    server.start();
  }

  /** The bound port (useful when the settings asked for 0). */
  public int port() {
    return server.port();
  }

  /**
   * Refuses new requests (503), lets running ones finish within {@code grace} — returning as soon as
   * none is left — then stops the server and interrupts what is left (each interrupted execution
   * gives its claim back).
   */
  public void stop(Duration grace) {
    server.close(grace);
  }
}
