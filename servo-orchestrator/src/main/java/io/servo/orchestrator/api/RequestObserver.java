package io.servo.orchestrator.api;

import com.sun.net.httpserver.HttpExchange;

/**
 * Sees every API request once it is routed and its caller authenticated, and its outcome after
 * the response is written. This is the seam of the request's SERVER span: because it starts after
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

  /** One observed request; {@link #end} is called exactly once, on the thread that started it. */
  interface Observation {
    Observation NONE = (status, error) -> {};

    /**
     * @param status the status written
     * @param error the unexpected exception behind a 500, else null
     */
    void end(int status, Throwable error);
  }
}
