package io.servo.orchestrator.tracing;

import com.sun.net.httpserver.HttpExchange;
import io.opentelemetry.api.trace.SpanContext;
import io.servo.telemetry.http.ServedExchange;

/**
 * One API request as its SERVER span sees it.
 *
 * @param route the matched route template, or null
 * @param link the caller's context when it is only linked, else null
 */
record ExchangeRequest(HttpExchange exchange, String route, SpanContext link) implements ServedExchange {}
