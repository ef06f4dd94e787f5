package io.servo.orchestrator.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.servo.core.json.Json;
import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.outbox.OutboxRelay;
import io.servo.queue.local.DispatchWait;
import io.servo.storage.ServoStorage;
import io.servo.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import io.servo.core.tenant.TenantPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's HTTP API: routing, bearer-token authentication, body limits and JSON errors.
 * Every error body is {@code {"error": "..."}} saying what was wrong and what to do.
 */
public final class ApiHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
  private static final String ROUTES =
      "the API serves PUT /v1/workflows/{name}, POST /v1/workflows/{name}/executions,"
          + " GET /v1/executions/{id} and GET /health";

  private enum Endpoint { HEALTH, DEPLOY, START, GET_EXECUTION }

  /** One path pattern, its template (as {@code http.route}), the method it accepts and the endpoint serving it. */
  private record Route(Pattern path, String template, String method, Endpoint endpoint) {}

  /** A request matched to a route (null when none matched) and the path variable. */
  private record Routed(Route route, String pathParam) {}

  /** What was answered, and the unexpected exception behind a 500. */
  private record Outcome(int status, Throwable error) {}

  private static final List<Route> ROUTE_TABLE =
      List.of(
          new Route(Pattern.compile("/health"), "/health", "GET", Endpoint.HEALTH),
          new Route(Pattern.compile("/v1/workflows/([^/]+)"), "/v1/workflows/{name}", "PUT",
              Endpoint.DEPLOY),
          new Route(Pattern.compile("/v1/workflows/([^/]+)/executions"),
              "/v1/workflows/{name}/executions", "POST", Endpoint.START),
          new Route(Pattern.compile("/v1/executions/([^/]+)"), "/v1/executions/{id}", "GET",
              Endpoint.GET_EXECUTION));

  /** How much of an oversized body is read and dropped before answering 413. */
  private static final long DRAIN_LIMIT_BYTES = 16L * 1024 * 1024;

  private final TenantAuthenticator authenticator;
  private final WorkflowEndpoint workflows;
  private final ExecutionEndpoint executions;
  private final int maxBodyBytes;
  private final RequestObserver observer;
  private final AtomicBoolean closing = new AtomicBoolean();

  private ApiHandler(
      TenantAuthenticator authenticator,
      WorkflowEndpoint workflows,
      ExecutionEndpoint executions,
      int maxBodyBytes,
      RequestObserver observer) {
    this.authenticator = authenticator;
    this.workflows = workflows;
    this.executions = executions;
    this.maxBodyBytes = maxBodyBytes;
    this.observer = observer;
  }

  /**
   * @param handOverTimeout how long {@code POST …/executions} waits for the relay to hand the new
   *     task to the queue before answering anyway
   * @param traceViews the link to an execution's trace and its in-memory waterfall, by trace id
   * @param observer sees each request after routing and authentication (the SERVER span)
   * @param tenants what each tenant's workflows may use: a deploy that needs more is refused
   * @param dispatchWaits by execution id: whether its task waits in the local queue for a dispatch
   *     slot (shown with a pending execution)
   */
  public static ApiHandler create(
      TenantAuthenticator authenticator,
      TenantPolicy tenants,
      ServoStorage storage,
      ExecutionLauncher launcher,
      OutboxRelay relay,
      int maxBodyBytes,
      Duration handOverTimeout,
      TraceViews traceViews,
      RequestObserver observer,
      Function<String, Optional<DispatchWait>> dispatchWaits) {
    Objects.requireNonNull(authenticator, "authenticator");
    Objects.requireNonNull(tenants, "tenants");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(launcher, "launcher");
    Objects.requireNonNull(relay, "relay");
    Objects.requireNonNull(handOverTimeout, "handOverTimeout");
    Objects.requireNonNull(traceViews, "traceViews");
    Objects.requireNonNull(observer, "observer");
    Objects.requireNonNull(dispatchWaits, "dispatchWaits");
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be positive, was " + maxBodyBytes);
    }
    return new ApiHandler(authenticator, new WorkflowEndpoint(storage, tenants),
        new ExecutionEndpoint(storage, launcher, relay, handOverTimeout, traceViews, dispatchWaits), maxBodyBytes,
        observer);
  }

  /** From now on every request is answered 503 at once, so that a stopping server drains quickly. */
  public void refuseNewRequests() {
    closing.set(true);
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (BoundedRequestExecutor.overloaded() || closing.get()) {
        writeError(exchange, new ApiException(503,
            closing.get()
                ? "the orchestrator is shutting down: retry after the Retry-After delay"
                : "the orchestrator is overloaded: retry after the Retry-After delay",
            List.of(), Map.of("Retry-After", "1")));
        return;
      }
      Routed routed = match(exchange.getRequestURI().getRawPath());
      Optional<String> tenant =
          authenticator.tenant(exchange.getRequestHeaders().getFirst("Authorization"));
      CallerAuthentication caller = authenticator.open()
          ? CallerAuthentication.ANONYMOUS
          : tenant.isPresent() ? CallerAuthentication.AUTHENTICATED : CallerAuthentication.REJECTED;
      RequestObserver.Observation observation =
          observer.start(exchange, routed.route() == null ? null : routed.route().template(), caller);
      Outcome outcome = new Outcome(500, null);
      try {
        outcome = respond(exchange, routed, tenant);
      } finally {
        observation.end(outcome.status(), outcome.error());
      }
    }
  }

  private Outcome respond(HttpExchange exchange, Routed routed, Optional<String> tenant)
      throws IOException {
    try {
      ApiResponse response = route(exchange, routed, tenant);
      write(exchange, response.status(), response.body());
      return new Outcome(response.status(), null);
    } catch (ApiException e) {
      writeError(exchange, e);
      return new Outcome(e.status(), null);
    } catch (StorageException e) {
      log.warn("{} {}: database unavailable: {}", exchange.getRequestMethod(),
          exchange.getRequestURI().getRawPath(), e.toString());
      writeError(exchange, new ApiException(503,
          "the database is unavailable: retry later; nothing was changed unless a later GET shows it",
          List.of(), Map.of("Retry-After", "2")));
      return new Outcome(503, e);
    } catch (RuntimeException e) {
      log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e);
      writeError(exchange, new ApiException(500,
          "internal error: the orchestrator log has the details; retrying may help"));
      return new Outcome(500, e);
    }
  }

  private static Routed match(String path) {
    for (Route route : ROUTE_TABLE) {
      Matcher m = route.path().matcher(path);
      if (m.matches()) {
        return new Routed(route, m.groupCount() > 0 ? m.group(1) : null);
      }
    }
    return new Routed(null, null);
  }

  private ApiResponse route(HttpExchange exchange, Routed routed, Optional<String> authenticated)
      throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    String method = exchange.getRequestMethod();
    Route matched = routed.route();
    if (matched == null) {
      throw new ApiException(404, "no route " + method + " " + path + ": " + ROUTES);
    }
    if (!matched.method().equals(method)) {
      throw new ApiException(405, "method " + method + " is not allowed on " + path + ": use "
          + matched.method(), List.of(), Map.of("Allow", matched.method()));
    }
    if (matched.endpoint() == Endpoint.HEALTH) {
      ObjectNode ok = Json.mapper().createObjectNode();
      ok.put("status", "ok");
      return new ApiResponse(200, ok);
    }
    String tenant =
        authenticated.orElseThrow(() -> new ApiException(401,
                "missing or unknown bearer token: send 'Authorization: Bearer <token>' with your"
                    + " tenant's token from SERVO_API_TOKENS",
                List.of(), Map.of("WWW-Authenticate", "Bearer realm=\"servo\"")));
    ApiRequest request = new ApiRequest(exchange, tenant, routed.pathParam());
    return switch (matched.endpoint()) {
      case DEPLOY -> workflows.deploy(request, readBody(exchange));
      case START -> executions.start(request);
      case GET_EXECUTION -> executions.get(request);
      case HEALTH -> throw new AssertionError("handled above");
    };
  }

  private byte[] readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(maxBodyBytes + 1);
      if (body.length > maxBodyBytes) {
        // Read (a bounded amount of) the rest, so the client gets to see the 413 rather than a
        // reset connection while it is still sending.
        byte[] sink = new byte[64 * 1024];
        long left = DRAIN_LIMIT_BYTES;
        int n;
        while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
          left -= n;
        }
        throw new ApiException(413, "the request body is larger than " + maxBodyBytes
            + " bytes (SERVO_MAX_BODY_BYTES): send a smaller workflow file or raise the limit");
      }
      return body;
    }
  }

  private static void writeError(HttpExchange exchange, ApiException e) throws IOException {
    ObjectNode body = Json.mapper().createObjectNode();
    body.put("error", e.getMessage());
    if (!e.problems().isEmpty()) {
      e.problems().forEach(body.putArray("problems")::add);
    }
    e.headers().forEach(exchange.getResponseHeaders()::set);
    if (e.status() >= 500) {
      log.debug("{} {} -> {}", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e.status());
    }
    write(exchange, e.status(), body);
  }

  private static void write(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = Json.mapper().writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    // A HEAD answer has no body: the JDK closes its stream, and writing to it throws.
    if ("HEAD".equals(exchange.getRequestMethod())) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
