package io.servo.worker.tracing;

import com.sun.net.httpserver.HttpExchange;
import io.opentelemetry.api.trace.SpanContext;
import io.servo.telemetry.http.ServedExchange;

/**
 * One authenticated delivery as the SERVER span sees it.
 *
 * @param frontEnd the context of the request's W3C {@code traceparent} when it is not the parent (the
 *     front end rewrote it); null otherwise
 */
record DeliveryRequest(HttpExchange exchange, SpanContext frontEnd) implements ServedExchange {
  @Override
  public String route() {
    return WorkerSpans.EXECUTE_ROUTE;
  }
}
