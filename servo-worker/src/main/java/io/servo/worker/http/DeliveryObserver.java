package io.servo.worker.http;

import com.sun.net.httpserver.HttpExchange;
import io.servo.core.task.TaskPayload;

/**
 * Watches the deliveries of {@code POST /execute} that passed authentication and payload decoding
 * (tracing's SERVER span starts here). Requests that fail either are never shown to it: nothing in
 * them may choose a trace, a sampling decision or a trace state.
 */
public interface DeliveryObserver {
  /** Observes nothing. */
  DeliveryObserver NONE = (exchange, payload) -> Observation.NONE;

  /**
   * Called on the request's thread once {@code payload} is authenticated and decoded, before the
   * tenant's rate limit and the execution. What it makes current stays current until {@link
   * Observation#end}, which the same thread calls before the answer is written.
   */
  Observation start(HttpExchange exchange, TaskPayload payload);

  /** One observed delivery. */
  @FunctionalInterface
  interface Observation {
    Observation NONE = status -> {};

    /** The delivery is answered with {@code status}; called exactly once. */
    void end(int status);
  }
}
