package io.servo.orchestrator.tracing;

/**
 * Trace headers on the queue hop. The W3C pair is what Cloud Run's front end and other tools
 * understand (and may rewrite); the Servo copy survives such rewriting; the signed payload's
 * {@code trace} stays the one the worker trusts first. All three name the same producer span.
 */
public final class TaskTraceHeaders {
  /** W3C {@code traceparent}. */
  public static final String TRACEPARENT = "traceparent";
  /** W3C {@code tracestate}; sent only when there is trace state. */
  public static final String TRACESTATE = "tracestate";
  /** Servo's copy of {@code traceparent}. */
  public static final String SERVO_TRACEPARENT = "X-Servo-Traceparent";
  /** Servo's copy of {@code tracestate}; sent only when there is trace state. */
  public static final String SERVO_TRACESTATE = "X-Servo-Tracestate";

  private TaskTraceHeaders() {}
}
