package io.servo.core.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.servo.core.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service's HTTP server on the JDK's {@link HttpServer}, answering JSON: routing by method and
 * path template (404, 405 with {@code Allow}), a bounded request pool (503 with {@code Retry-After}
 * when it is full, see {@link BoundedRequestExecutor}), JSON error bodies ({@link HttpError}), an
 * {@link ExchangeObserver} around each routed request, and a graceful {@link #close}.
 *
 * <pre>{@code
 * JsonHttpServer server = JsonHttpServer.builder("worker", routes).port(8081).requestLimits(8, 8).build();
 * server.start();
 * ...
 * server.close(Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>It knows no service's domain and no tracing: both come in through the routes and the observer.
 */
public final class JsonHttpServer {
  private static final Logger log = LoggerFactory.getLogger(JsonHttpServer.class);
  private static final int BACKLOG = 128;

  private final String service;
  private final Router router;
  private final ExchangeObserver observer;
  private final int port;
  private final int threads;
  private final int queued;
  private final Map<String, String> retryLater;
  private final AtomicBoolean closing = new AtomicBoolean();
  private HttpServer server;
  private BoundedRequestExecutor executor;

  private JsonHttpServer(Builder b) {
    this.service = b.service;
    this.router = new Router(b.routes);
    this.observer = b.observer;
    this.port = b.port;
    this.threads = b.threads;
    this.queued = b.queued;
    this.retryLater = Map.of("Retry-After", Integer.toString(b.retryAfterSeconds), "Connection", "close");
  }

  /**
   * @param service the service's name in messages and thread names ({@code orchestrator}, {@code worker})
   * @param routes every method and path the service serves, in the order a 404 lists them
   */
  public static Builder builder(String service, List<Route> routes) {
    return new Builder(service, routes);
  }

  /**
   * Binds the port and starts answering.
   *
   * @throws UncheckedIOException when the port cannot be bound
   */
  public synchronized void start() {
    if (server != null || closing.get()) {
      throw new IllegalStateException("start() may be called once, before close()");
    }
    try {
      server = HttpServer.create(new InetSocketAddress(port), BACKLOG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port + " (PORT): is another process using it?", e);
    }
    executor = new BoundedRequestExecutor(threads, queued, "servo-" + service + "-http-");
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The bound port (the one chosen when the builder asked for 0). */
  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return server.getAddress().getPort();
  }

  /** Requests accepted and not answered yet, waiting ones included (a test seam). */
  synchronized int inFlight() {
    return server == null ? 0 : executor.inFlight();
  }

  /**
   * Answers new requests 503 at once, waits while requests are in flight (at most {@code grace},
   * returning as soon as none is left), then stops the server and interrupts what still runs.
   *
   * @return whether every request in flight finished within the grace
   */
  public synchronized boolean close(Duration grace) {
    closing.set(true);
    if (server == null) {
      return true;
    }
    // JDK 17's HttpServer.stop(n) always waits the full n seconds (JDK-8304065, fixed in 22), so the
    // executor counts the exchanges itself and this waits only while there are some.
    boolean idle = executor.awaitIdle(grace);
    if (!idle) {
      log.warn("stopping the {} with {} requests still in flight after {} ms", service, executor.inFlight(),
          grace.toMillis());
    }
    server.stop(0);
    executor.close();
    server = null;
    return idle;
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      Router.Match match = router.match(method, path, service);
      BoundedRequestExecutor.Load load = BoundedRequestExecutor.load();
      if (closing.get()) {
        write(exchange, JsonAnswer.error(503, "the " + service
            + " is shutting down: retry after the Retry-After delay", retryLater));
        return;
      }
      if (load == BoundedRequestExecutor.Load.SATURATED || load == BoundedRequestExecutor.Load.OVERLOADED
          && (match.route() == null || !match.route().servedWhenOverloaded())) {
        write(exchange, JsonAnswer.error(503, "the " + service
            + " is overloaded: retry after the Retry-After delay", retryLater));
        return;
      }
      ExchangeObserver.Observation observation = observer.start(exchange, match.template());
      JsonAnswer answer = null;
      Throwable error = null;
      try {
        try {
          answer = match.error() != null ? match.error().answer()
              : match.route().handler().handle(new Request(exchange, match.pathVariables()));
        } catch (HttpError e) {
          answer = e.answer();
          error = e.getCause();
        } catch (RuntimeException e) {
          log.error("{} {} failed", method, path, e);
          error = e;
          answer = JsonAnswer.error(500, "internal error: the " + service
              + " log has the details; retrying may help");
        }
      } finally {
        if (answer != null) {
          // Before the observer ends: it may record response headers.
          setHeaders(exchange, answer);
        }
        observation.end(answer == null ? 500 : answer.status(), error);
      }
      send(exchange, answer);
    } catch (IOException e) {
      // The client went away (or sent a body it did not finish): nothing left to answer.
      log.debug("{} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e.toString());
    }
  }

  private static void write(HttpExchange exchange, JsonAnswer answer) throws IOException {
    setHeaders(exchange, answer);
    send(exchange, answer);
  }

  private static void setHeaders(HttpExchange exchange, JsonAnswer answer) {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    answer.headers().forEach(exchange.getResponseHeaders()::set);
  }

  private static void send(HttpExchange exchange, JsonAnswer answer) throws IOException {
    byte[] bytes;
    try {
      bytes = Json.mapper().writeValueAsBytes(answer.body());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an answer's body cannot be written as JSON", e);
    }
    // A HEAD answer has no body: the JDK closes its stream, and writing to it throws.
    if ("HEAD".equals(exchange.getRequestMethod())) {
      exchange.sendResponseHeaders(answer.status(), -1);
      return;
    }
    exchange.sendResponseHeaders(answer.status(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Settings of a {@link JsonHttpServer}; each is checked when set. */
  public static final class Builder {
    private final String service;
    private final List<Route> routes;
    private ExchangeObserver observer = ExchangeObserver.NONE;
    private int port;
    private int threads = 8;
    private int queued = 8;
    private int retryAfterSeconds = 1;

    private Builder(String service, List<Route> routes) {
      this.service = Objects.requireNonNull(service, "service");
      this.routes = List.copyOf(routes);
    }

    /** The port to listen on; 0 (the default) picks a free one. */
    public Builder port(int value) {
      if (value < 0 || value > 65535) {
        throw new IllegalArgumentException("port must be 0-65535, was " + value);
      }
      this.port = value;
      return this;
    }

    /** Requests handled at once (default 8) and waiting beyond those (default 8) before 503. */
    public Builder requestLimits(int threads, int queued) {
      if (threads < 1 || queued < 1) {
        throw new IllegalArgumentException("threads and queued must be at least 1, were " + threads + " and " + queued);
      }
      this.threads = threads;
      this.queued = queued;
      return this;
    }

    /** The {@code Retry-After} of an overloaded or stopping server's 503, in seconds; default 1. */
    public Builder retryAfterSeconds(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("retryAfterSeconds must be at least 1, was " + value);
      }
      this.retryAfterSeconds = value;
      return this;
    }

    /** Sees each routed request (a service's SERVER span); default none. */
    public Builder observer(ExchangeObserver value) {
      this.observer = Objects.requireNonNull(value, "observer");
      return this;
    }

    public JsonHttpServer build() {
      return new JsonHttpServer(this);
    }
  }
}
