package io.servo.worker.tracing;

import com.sun.net.httpserver.HttpExchange;
import io.opentelemetry.api.trace.SpanContext;

/**
 * One authenticated delivery as the SERVER span sees it.
 *
 * @param frontEnd the context of the request's W3C {@code traceparent} when it is not the parent (the
 *     front end rewrote it); null otherwise
 */
record DeliveryRequest(HttpExchange exchange, SpanContext frontEnd) {}
