package io.servo.orchestrator.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
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

  // The two fields into an array rather than a map: every launch, sampled or not, writes the payload's
  // trace, and a HashMap, its table and nodes are about 0.15 KB.
  private static final TextMapSetter<String[]> FIELDS = (fields, key, value) -> {
    if (ServoTraceContextPropagator.TRACEPARENT.equals(key)) {
      fields[0] = value;
    } else if (ServoTraceContextPropagator.TRACESTATE.equals(key)) {
      fields[1] = value;
    }
  };

  /** The context of the span in {@code context}, or {@link TraceMetadata#EMPTY} when there is none. */
  static TraceMetadata inject(Context context) {
    String[] fields = new String[2];
    ServoTraceContextPropagator.getInstance().inject(context, fields, FIELDS);
    return fields[0] == null ? TraceMetadata.EMPTY : new TraceMetadata(fields[0], fields[1]);
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
