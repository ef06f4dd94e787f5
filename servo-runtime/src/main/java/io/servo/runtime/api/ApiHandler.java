package io.servo.runtime.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.servo.core.json.Json;
import io.servo.runtime.execution.ExecutionLauncher;
import io.servo.runtime.outbox.OutboxRelay;
import io.servo.storage.ServoStorage;
import io.servo.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  /** One path pattern, the method it accepts and the endpoint serving it. */
  private record Route(Pattern path, String method, Endpoint endpoint) {}

  private static final List<Route> ROUTE_TABLE =
      List.of(
          new Route(Pattern.compile("/health"), "GET", Endpoint.HEALTH),
          new Route(Pattern.compile("/v1/workflows/([^/]+)"), "PUT", Endpoint.DEPLOY),
          new Route(Pattern.compile("/v1/workflows/([^/]+)/executions"), "POST", Endpoint.START),
          new Route(Pattern.compile("/v1/executions/([^/]+)"), "GET", Endpoint.GET_EXECUTION));

  /** How much of an oversized body is read and dropped before answering 413. */
  private static final long DRAIN_LIMIT_BYTES = 16L * 1024 * 1024;

  private final TenantAuthenticator authenticator;
  private final WorkflowEndpoint workflows;
  private final ExecutionEndpoint executions;
  private final int maxBodyBytes;

  private ApiHandler(
      TenantAuthenticator authenticator,
      WorkflowEndpoint workflows,
      ExecutionEndpoint executions,
      int maxBodyBytes) {
    this.authenticator = authenticator;
    this.workflows = workflows;
    this.executions = executions;
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * @param handOverTimeout how long {@code POST …/executions} waits for the relay to hand the new
   *     task to the queue before answering anyway
   */
  public static ApiHandler create(
      TenantAuthenticator authenticator,
      ServoStorage storage,
      ExecutionLauncher launcher,
      OutboxRelay relay,
      int maxBodyBytes,
      Duration handOverTimeout) {
    Objects.requireNonNull(authenticator, "authenticator");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(launcher, "launcher");
    Objects.requireNonNull(relay, "relay");
    Objects.requireNonNull(handOverTimeout, "handOverTimeout");
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be positive, was " + maxBodyBytes);
    }
    return new ApiHandler(authenticator, new WorkflowEndpoint(storage),
        new ExecutionEndpoint(storage, launcher, relay, handOverTimeout), maxBodyBytes);
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (BoundedRequestExecutor.overloaded()) {
        writeError(exchange, new ApiException(503,
            "the orchestrator is overloaded: retry after the Retry-After delay", List.of(),
            Map.of("Retry-After", "1")));
        return;
      }
      try {
        ApiResponse response = route(exchange);
        write(exchange, response.status(), response.body());
      } catch (ApiException e) {
        writeError(exchange, e);
      } catch (StorageException e) {
        log.warn("{} {}: database unavailable: {}", exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath(), e.toString());
        writeError(exchange, new ApiException(503,
            "the database is unavailable: retry later; nothing was changed unless a later GET shows it",
            List.of(), Map.of("Retry-After", "2")));
      } catch (RuntimeException e) {
        log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e);
        writeError(exchange, new ApiException(500,
            "internal error: the orchestrator log has the details; retrying may help"));
      }
    }
  }

  private ApiResponse route(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    String method = exchange.getRequestMethod();
    Route matched = null;
    Matcher matcher = null;
    for (Route route : ROUTE_TABLE) {
      Matcher m = route.path().matcher(path);
      if (m.matches()) {
        matched = route;
        matcher = m;
        break;
      }
    }
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
        authenticator.tenant(exchange.getRequestHeaders().getFirst("Authorization"))
            .orElseThrow(() -> new ApiException(401,
                "missing or unknown bearer token: send 'Authorization: Bearer <token>' with your"
                    + " tenant's token from SERVO_API_TOKENS",
                List.of(), Map.of("WWW-Authenticate", "Bearer realm=\"servo\"")));
    ApiRequest request = new ApiRequest(exchange, tenant, matcher.group(1));
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
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
