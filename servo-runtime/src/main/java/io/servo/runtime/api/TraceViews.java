package io.servo.runtime.api;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * How the API shows an execution's trace, by trace id: a link into a trace UI ({@code trace_url}),
 * and, where the process keeps recent traces in memory ({@code servo dev}), the trace as a terminal
 * waterfall ({@code trace_waterfall}, on {@code GET /v1/executions/{id}?include=trace}).
 */
public record TraceViews(
    Function<String, Optional<String>> link, Function<String, Optional<String>> waterfall) {
  public static final TraceViews NONE = new TraceViews(id -> Optional.empty(), id -> Optional.empty());

  public TraceViews {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(waterfall, "waterfall");
  }
}
