package io.servo.orchestrator.api;

import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * How the API shows an execution's trace, by trace id: a link into a trace UI ({@code trace_url}),
 * and, where the process keeps recent traces in memory ({@code servo dev}), the trace as a terminal
 * waterfall ({@code trace_waterfall}, on {@code GET /v1/executions/{id}?include=trace}), given the trace
 * id and the caller's tenant: an authenticated caller's {@code traceparent} may name any trace id,
 * another tenant's too, so the waterfall shows only the caller's tenant's part of the trace.
 */
public record TraceViews(
    Function<String, Optional<String>> link, BiFunction<String, String, Optional<String>> waterfall) {
  public static final TraceViews NONE = new TraceViews(id -> Optional.empty(), (id, tenant) -> Optional.empty());

  public TraceViews {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(waterfall, "waterfall");
  }
}
