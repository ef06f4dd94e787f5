package io.servo.core.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The trace context carried inside the signed payload, in W3C Trace Context form. It is covered by
 * the HMAC, so the worker can trust it over the (rewritable) HTTP headers.
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
