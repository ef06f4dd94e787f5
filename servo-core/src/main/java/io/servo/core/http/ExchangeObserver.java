package io.servo.core.http;

import com.sun.net.httpserver.HttpExchange;

/**
 * Sees each request once it is routed, and its outcome once answered: the seam a service's tracing
 * puts its SERVER span on. Requests answered 503 at once because the server is overloaded or
 * stopping are not shown to it.
 */
@FunctionalInterface
public interface ExchangeObserver {
  /** Observes nothing. */
  ExchangeObserver NONE = (exchange, route) -> Observation.NONE;

  /**
   * Called on the thread that serves the request, before its handler runs.
   *
   * @param route the matched route's template (for example {@code /v1/executions/{id}}), or null
   *     when no route matched the path
   */
  Observation start(HttpExchange exchange, String route);

  /** One observed request; {@link #end} is called exactly once, on the thread that started it. */
  @FunctionalInterface
  interface Observation {
    Observation NONE = (status, error) -> {};

    /**
     * Called before the answer is written.
     *
     * @param status the status answered
     * @param error the exception behind an answer the server could not give as asked (a 500, or
     *     the cause of an {@link HttpError}), else null
     */
    void end(int status, Throwable error);
  }
}
