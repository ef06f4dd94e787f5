package io.servo.worker.tracing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.worker.http.DeliveryObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SERVER span of each authenticated delivery. Its parent is, in this order of trust:
 *
 * <ol>
 *   <li>the signed payload's {@code trace} (covered by the HMAC: the orchestrator's producer span);
 *   <li>the {@code X-Servo-Traceparent}/{@code X-Servo-Tracestate} headers (a copy front ends leave
 *       alone, for payloads written without a trace);
 *   <li>the W3C {@code traceparent}/{@code tracestate} headers;
 *   <li>nothing: a new trace, sampled by the worker's own root sampler.
 * </ol>
 *
 * <p>Cloud Run's front end rewrites the parent-id of {@code traceparent}. When that header holds a
 * context other than the parent chosen, it becomes a link (without its trace state) on the SERVER
 * span and, through the context, on the CONSUMER span.
 */
final class DeliverySpans implements DeliveryObserver {
  static final String SERVO_TRACEPARENT = "X-Servo-Traceparent";
  static final String SERVO_TRACESTATE = "X-Servo-Tracestate";

  private final Instrumenter<DeliveryRequest, Integer> instrumenter;
  private final TextMapPropagator propagator = ServoTraceContextPropagator.getInstance();

  DeliverySpans(Instrumenter<DeliveryRequest, Integer> instrumenter) {
    this.instrumenter = instrumenter;
  }

  @Override
  public Observation start(HttpExchange exchange, TaskPayload payload) {
    Headers headers = exchange.getRequestHeaders();
    Context parent = parent(payload.trace(), headers);
    if (TraceSampling.isUnsampledTrace(parent)) {
      // Not sampled where the trace began: nothing here is recorded, but the work runs in that trace.
      Scope scope = parent.makeCurrent();
      return status -> scope.close();
    }
    SpanContext frontEnd = frontEnd(headers, Span.fromContext(parent).getSpanContext());
    DeliveryRequest request = new DeliveryRequest(exchange, frontEnd);
    if (!instrumenter.shouldStart(parent, request)) {
      return Observation.NONE;
    }
    Context started = instrumenter.start(parent, request);
    Context context = frontEnd == null ? started : started.with(WorkerSpans.FRONT_END_CONTEXT, frontEnd);
    Scope scope = context.makeCurrent();
    return status -> {
      scope.close();
      instrumenter.end(started, request, status, null);
    };
  }

  private Context parent(TraceMetadata trace, Headers headers) {
    if (!trace.isEmpty()) {
      Map<String, String> fields = new HashMap<>(4);
      fields.put(ServoTraceContextPropagator.TRACEPARENT, trace.traceparent());
      if (trace.tracestate() != null) {
        fields.put(ServoTraceContextPropagator.TRACESTATE, trace.tracestate());
      }
      Context signed = MapCarrier.extract(propagator, Context.root(), fields);
      if (isValid(signed)) {
        return signed;
      }
    }
    Context copy = extract(headers, SERVO_TRACEPARENT, SERVO_TRACESTATE);
    if (isValid(copy)) {
      return copy;
    }
    Context w3c = extract(headers, ServoTraceContextPropagator.TRACEPARENT,
        ServoTraceContextPropagator.TRACESTATE);
    return isValid(w3c) ? w3c : Context.root();
  }

  /** The W3C header's context when it is valid and not the parent; without its trace state. */
  private SpanContext frontEnd(Headers headers, SpanContext parent) {
    if (!headers.containsKey(ServoTraceContextPropagator.TRACEPARENT)) {
      return null;
    }
    SpanContext header = Span.fromContext(
        extract(headers, ServoTraceContextPropagator.TRACEPARENT, null)).getSpanContext();
    if (!header.isValid()
        || (header.getTraceId().equals(parent.getTraceId())
            && header.getSpanId().equals(parent.getSpanId()))) {
      return null;
    }
    return SpanContext.createFromRemoteParent(header.getTraceId(), header.getSpanId(),
        header.getTraceFlags(), TraceState.getDefault());
  }

  /** Reads {@code traceparentHeader} (and {@code tracestateHeader}, unless null) as W3C fields. */
  private Context extract(Headers headers, String traceparentHeader, String tracestateHeader) {
    List<String> traceparent = headers.get(traceparentHeader);
    if (traceparent == null) {
      return Context.root();
    }
    Map<String, List<String>> fields = new HashMap<>(4);
    fields.put(ServoTraceContextPropagator.TRACEPARENT, traceparent);
    List<String> tracestate = tracestateHeader == null ? null : headers.get(tracestateHeader);
    if (tracestate != null) {
      fields.put(ServoTraceContextPropagator.TRACESTATE, tracestate);
    }
    return MapCarrier.extractHeaders(propagator, Context.root(), fields);
  }

  private static boolean isValid(Context context) {
    return Span.fromContext(context).getSpanContext().isValid();
  }
}
