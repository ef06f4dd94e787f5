package io.servo.telemetry.config;

/**
 * A context format exchanged with other programs, named as in {@code OTEL_PROPAGATORS}. It governs
 * the incoming API requests and what assets send on (HTTP calls, subprocess environments); the
 * orchestrator-to-worker hop always carries the trace, in the signed task payload.
 */
public enum TracePropagator {
  /** W3C {@code traceparent}/{@code tracestate}, through Servo's own Trace Context propagator. */
  TRACECONTEXT("tracecontext"),
  /** W3C {@code baggage}. */
  BAGGAGE("baggage");

  private final String id;

  TracePropagator(String id) {
    this.id = id;
  }

  /** The value as written in {@code OTEL_PROPAGATORS}. */
  public String id() {
    return id;
  }
}
