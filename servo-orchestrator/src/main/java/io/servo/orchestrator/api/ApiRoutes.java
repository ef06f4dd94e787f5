package io.servo.orchestrator.api;

import io.servo.core.http.ExchangeObserver;
import io.servo.core.http.HttpError;
import io.servo.core.http.JsonAnswer;
import io.servo.core.http.Request;
import io.servo.core.http.Route;
import io.servo.core.tenant.TenantPolicy;
import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.outbox.OutboxRelay;
import io.servo.queue.local.DispatchWait;
import io.servo.storage.ServoStorage;
import io.servo.storage.StorageException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's HTTP API on the {@link io.servo.core.http.JsonHttpServer} scaffold: its routes,
 * bearer-token authentication, and the observer that sees each request with its caller's
 * authentication (the SERVER span). Every error body is {@code {"error": "..."}} saying what was
 * wrong and what to do.
 */
public final class ApiRoutes {
  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  /** An endpoint of an authenticated caller. */
  @FunctionalInterface
  private interface Endpoint {
    JsonAnswer serve(ApiRequest request) throws java.io.IOException;
  }

  private final List<Route> routes;
  private final ExchangeObserver observer;

  private ApiRoutes(List<Route> routes, ExchangeObserver observer) {
    this.routes = routes;
    this.observer = observer;
  }

  /**
   * @param handOverTimeout how long {@code POST …/executions} waits for the relay to hand the new
   *     task to the queue before answering anyway
   * @param maxBodyBytes the largest workflow file {@code PUT /v1/workflows/{name}} accepts ({@code
   *     SERVO_MAX_BODY_BYTES})
   * @param traceViews the link to an execution's trace and its in-memory waterfall, by trace id
   * @param observer sees each request after routing and authentication (the SERVER span)
   * @param tenants what each tenant's workflows may use: a deploy that needs more is refused
   * @param dispatchWaits by execution id: whether its task waits in the local queue for a dispatch
   *     slot (shown with a pending execution)
   */
  public static ApiRoutes create(
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
    Objects.requireNonNull(observer, "observer");
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be positive, was " + maxBodyBytes);
    }
    WorkflowEndpoint workflows = new WorkflowEndpoint(Objects.requireNonNull(storage, "storage"),
        Objects.requireNonNull(tenants, "tenants"));
    ExecutionEndpoint executions = new ExecutionEndpoint(storage, Objects.requireNonNull(launcher, "launcher"),
        Objects.requireNonNull(relay, "relay"), Objects.requireNonNull(handOverTimeout, "handOverTimeout"),
        Objects.requireNonNull(traceViews, "traceViews"), Objects.requireNonNull(dispatchWaits, "dispatchWaits"));
    String tooLarge = "the request body is larger than " + maxBodyBytes
        + " bytes (SERVO_MAX_BODY_BYTES): send a smaller workflow file or raise the limit";
    List<Route> routes = List.of(
        Route.of("GET", "/health", request -> JsonAnswer.of(200, Map.of("status", "ok"))),
        Route.of("PUT", "/v1/workflows/{name}", authenticated(authenticator,
            request -> workflows.deploy(request, request.http().body(maxBodyBytes, tooLarge)))),
        Route.of("POST", "/v1/workflows/{name}/executions", authenticated(authenticator, executions::start)),
        Route.of("GET", "/v1/executions/{id}", authenticated(authenticator, executions::get)));
    ExchangeObserver observing = (exchange, route) -> observer.start(exchange, route,
        authenticator.caller(exchange.getRequestHeaders().getFirst("Authorization")));
    return new ApiRoutes(routes, observing);
  }

  /** Every route of the API. */
  public List<Route> routes() {
    return routes;
  }

  /** The {@link RequestObserver} given to {@link #create}, told how each caller authenticated. */
  public ExchangeObserver observer() {
    return observer;
  }

  /** The endpoint for the caller's tenant; 401 without a known token, 503 while the database is down. */
  private static Route.Handler authenticated(TenantAuthenticator authenticator, Endpoint endpoint) {
    return request -> {
      String tenant = authenticator.tenant(request.header("Authorization"))
          .orElseThrow(() -> new HttpError(401,
              "missing or unknown bearer token: send 'Authorization: Bearer <token>' with your"
                  + " tenant's token from SERVO_API_TOKENS",
              Map.of("WWW-Authenticate", "Bearer realm=\"servo\"")));
      try {
        return endpoint.serve(new ApiRequest(request, tenant));
      } catch (StorageException e) {
        log.warn("{} {}: database unavailable: {}", request.exchange().getRequestMethod(),
            request.exchange().getRequestURI().getRawPath(), e.toString());
        throw new HttpError(503,
            "the database is unavailable: retry later; nothing was changed unless a later GET shows it",
            List.of(), Map.of("Retry-After", "2"), e);
      }
    };
  }
}
