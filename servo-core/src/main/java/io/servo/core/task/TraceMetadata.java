package io.servo.core.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A trace context in W3C Trace Context form, as Servo carries it signed: in the payload's {@code
 * trace} (the span the task was created in, written once) and in the {@code X-Servo-Traceparent}/
 * {@code X-Servo-Tracestate} headers (the producer span of the hand-over), both covered by the HMAC,
 * so the worker can trust them over the (rewritable) W3C headers.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TraceMetadata(
    @JsonProperty("traceparent") String traceparent, @JsonProperty("tracestate") String tracestate) {
  public static final TraceMetadata EMPTY = new TraceMetadata(null, null);

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isEmpty() {
    return traceparent == null;
  }
}
