package io.servo.orchestrator.api;

import com.sun.net.httpserver.HttpExchange;
import io.servo.core.http.ExchangeObserver;

/**
 * Sees every API request once it is routed and its caller authenticated, and its outcome before
 * the response is written (through the scaffold's {@link ExchangeObserver}). This is the seam of the request's SERVER span: because it starts after
 * authentication, an observer can decide how far to trust the caller's headers.
 */
@FunctionalInterface
public interface RequestObserver {
  /** Observes nothing. */
  RequestObserver NONE = (exchange, route, caller) -> Observation.NONE;

  /**
   * Called on the thread that serves the request, before the endpoint runs.
   *
   * @param route the matched route template (for example {@code /v1/executions/{id}}), or null
   *     when no route matched
   */
  Observation start(HttpExchange exchange, String route, CallerAuthentication caller);

  /**
   * One observed request, as the HTTP scaffold sees it: {@link #end} is called exactly once, on the
   * thread that started it, with the status and the exception behind a 500 or a 503 (else null).
   */
  interface Observation extends ExchangeObserver.Observation {
    Observation NONE = (status, error) -> {};
  }
}
