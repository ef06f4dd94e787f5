package io.servo.cloud.gcp.fake.run;

/** What {@link FakeCloudRunFrontEnd} does with trace context headers on the way in. */
public enum TraceHeaderMode {
  /**
   * Like Google's front end: a valid incoming {@code traceparent} keeps its trace id and flags but
   * gets a new random parent id (the front end's own span); without a valid one a new context
   * (random trace id, not sampled) is made. {@code X-Cloud-Trace-Context} is set to match;
   * {@code tracestate} passes unchanged.
   */
  REWRITE_PARENT,
  /** Removes {@code traceparent}, {@code tracestate} and {@code X-Cloud-Trace-Context}. */
  STRIP,
  /** Forwards trace headers untouched. */
  PASS_THROUGH
}
