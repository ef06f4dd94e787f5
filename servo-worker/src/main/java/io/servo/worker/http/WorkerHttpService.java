package io.servo.worker.http;

import com.sun.net.httpserver.HttpServer;
import io.servo.storage.ServoStorage;
import io.servo.worker.auth.TaskAuthenticator;
import io.servo.worker.execution.WorkflowExecutor;
import io.servo.worker.ratelimit.TenantRateLimiter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The worker's HTTP endpoints on the JDK's {@link HttpServer}: {@code POST /execute}, {@code GET
 * /health}, {@code GET /ready}. Built and owned by {@code WorkerServer}.
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

  private final Settings settings;
  private final InFlightRequests requests;
  private HttpServer server;
  private RequestExecutor executor;

  private WorkerHttpService(Settings settings, Router router) {
    this.settings = settings;
    this.requests = new InFlightRequests(router);
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
    Router router = new Router(List.of(
        new Route("/execute", Map.of("POST", execute), false),
        new Route("/health", Map.of("GET", HealthHandlers.health(), "HEAD", HealthHandlers.health()), true),
        new Route("/ready", Map.of("GET", HealthHandlers.ready(storage), "HEAD", HealthHandlers.ready(storage)), true)));
    return new WorkerHttpService(settings, router);
  }

  /** Binds the port and starts accepting requests. */
  public synchronized void start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    executor = new RequestExecutor(settings.threads());
    server = HttpServer.create(new InetSocketAddress(settings.port()), 0);
    server.createContext("/", requests);
    server.setExecutor(executor);
    server.start();
  }

  /** The bound port (useful when the settings asked for 0). */
  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return server.getAddress().getPort();
  }

  /**
   * Refuses new requests (503), lets running ones finish within {@code grace} — returning as soon as
   * none is left — then stops the server and interrupts what is left (each interrupted execution
   * gives its claim back).
   */
  public synchronized void stop(Duration grace) {
    if (server == null) {
      return;
    }
    try {
      requests.drain(grace);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Not stop(grace): on JDK 17 that waits the whole grace even with nothing running (JDK-8304065).
    server.stop(0);
    executor.shutdown(Duration.ofSeconds(1));
    server = null;
  }
}
