package io.servo.orchestrator.tracing;

import io.opentelemetry.context.Context;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import java.util.HashMap;
import java.util.Map;

/**
 * Trace context to and from a payload's {@code trace}: always W3C Trace Context, whatever
 * propagators the SDK was given, because the worker reads it as such.
 */
final class PayloadContext {
  private PayloadContext() {}

  /** The context of the span in {@code context}, or {@link TraceMetadata#EMPTY} when there is none. */
  static TraceMetadata inject(Context context) {
    Map<String, String> fields = new HashMap<>(4);
    MapCarrier.inject(ServoTraceContextPropagator.getInstance(), context, fields);
    String traceparent = fields.get(ServoTraceContextPropagator.TRACEPARENT);
    return traceparent == null
        ? TraceMetadata.EMPTY
        : new TraceMetadata(traceparent, fields.get(ServoTraceContextPropagator.TRACESTATE));
  }

  /** The root context with the payload's span as remote parent (nothing if it is invalid). */
  static Context extract(TraceMetadata trace) {
    Map<String, String> fields = new HashMap<>(4);
    fields.put(ServoTraceContextPropagator.TRACEPARENT, trace.traceparent());
    if (trace.tracestate() != null) {
      fields.put(ServoTraceContextPropagator.TRACESTATE, trace.tracestate());
    }
    return MapCarrier.extract(ServoTraceContextPropagator.getInstance(), Context.root(), fields);
  }
}
