package io.servo.telemetry.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.Map;

/**
 * The trace ids of a log event: from the event's MDC when something upstream captured them (the
 * {@code opentelemetry-logback-mdc-1.0} appender uses these keys), else from the span current on
 * the logging thread.
 */
record TraceIds(String traceId, String spanId, boolean sampled) {

  static final String TRACE_ID = "trace_id";
  static final String SPAN_ID = "span_id";
  static final String TRACE_FLAGS = "trace_flags";

  static TraceIds of(ILoggingEvent event) {
    Map<String, String> mdc = event.getMDCPropertyMap();
    String traceId = mdc == null ? null : mdc.get(TRACE_ID);
    if (traceId != null) {
      String flags = mdc.get(TRACE_FLAGS);
      return new TraceIds(traceId, mdc.getOrDefault(SPAN_ID, ""), "01".equals(flags));
    }
    SpanContext context = Span.current().getSpanContext();
    if (!context.isValid()) {
      return null;
    }
    return new TraceIds(context.getTraceId(), context.getSpanId(), context.isSampled());
  }
}
