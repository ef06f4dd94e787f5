package io.servo.bench.micro;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The propagation work of one execution, step by step as the orchestrator and the worker do it:
 * the launch writes the current span into the payload's {@code trace}; the relay reads it back as
 * the producer's parent and puts the producer into Servo's (signed) trace headers and the W3C ones,
 * leaving the payload as it is; the worker reads the signed header first, the payload second, and
 * the W3C header (to notice a rewritten parent).
 *
 * <p>Only the trace context's fields are modelled, not JSON encoding or signing, which happen with
 * or without tracing.
 */
final class QueueHop {
  private static final ServoTraceContextPropagator W3C = ServoTraceContextPropagator.getInstance();

  private QueueHop() {}

  /** The launch: the payload committed with the execution carries the current span. */
  static TaskPayload launch(Context current, TaskPayload payload) {
    return payload.withTrace(traceOf(current));
  }

  /** The relay's parent for the producer span: what the committed payload says. */
  static Context producerParent(TaskPayload committed) {
    return committed.trace().isEmpty() ? Context.root() : fromTrace(committed.trace());
  }

  /** The relay's hand-over: the task's headers name the producer span; the payload goes as committed. */
  static TaskPayload handOver(Context producer, TaskPayload committed, Map<String, String> headers) {
    TraceMetadata trace = traceOf(producer);
    if (trace.isEmpty()) {
      return committed;
    }
    headers.put("traceparent", trace.traceparent());
    headers.put(TaskSignature.TRACEPARENT_HEADER, trace.traceparent());
    if (trace.tracestate() != null) {
      headers.put("tracestate", trace.tracestate());
      headers.put(TaskSignature.TRACESTATE_HEADER, trace.tracestate());
    }
    return committed;
  }

  /**
   * The worker: the signed header's context is the parent, else the signed payload's; the W3C header
   * is read too, and becomes a link when a front end rewrote it.
   */
  static Delivered deliver(TaskPayload delivered, Map<String, List<String>> requestHeaders) {
    List<String> signed = requestHeaders.get(TaskSignature.TRACEPARENT_HEADER);
    List<String> signedState = requestHeaders.get(TaskSignature.TRACESTATE_HEADER);
    Context parent = signed != null
        ? fromTrace(new TraceMetadata(signed.get(0), signedState == null ? null : signedState.get(0)))
        : delivered.trace().isEmpty() ? Context.root() : fromTrace(delivered.trace());
    SpanContext frontEnd = SpanContext.getInvalid();
    List<String> traceparent = requestHeaders.get("traceparent");
    if (traceparent != null) {
      Map<String, List<String>> fields = new HashMap<>(4);
      fields.put(ServoTraceContextPropagator.TRACEPARENT, traceparent);
      SpanContext header = Span.fromContext(MapCarrier.extractHeaders(W3C, Context.root(), fields))
          .getSpanContext();
      if (!header.equals(Span.fromContext(parent).getSpanContext())) {
        frontEnd = header;
      }
    }
    return new Delivered(parent, frontEnd);
  }

  /** The worker's parent, and the front end's rewritten context when there is one (else invalid). */
  record Delivered(Context parent, SpanContext frontEnd) {}

  /** An outgoing request of an {@code http} asset or a subprocess: the current span in its fields. */
  static Map<String, String> outgoing(Context current) {
    Map<String, String> fields = new HashMap<>(4);
    MapCarrier.inject(W3C, current, fields);
    return fields;
  }

  private static TraceMetadata traceOf(Context context) {
    Map<String, String> fields = new HashMap<>(4);
    MapCarrier.inject(W3C, context, fields);
    String traceparent = fields.get(ServoTraceContextPropagator.TRACEPARENT);
    return traceparent == null
        ? TraceMetadata.EMPTY
        : new TraceMetadata(traceparent, fields.get(ServoTraceContextPropagator.TRACESTATE));
  }

  private static Context fromTrace(TraceMetadata trace) {
    Map<String, String> fields = new HashMap<>(4);
    fields.put(ServoTraceContextPropagator.TRACEPARENT, trace.traceparent());
    if (trace.tracestate() != null) {
      fields.put(ServoTraceContextPropagator.TRACESTATE, trace.tracestate());
    }
    return MapCarrier.extract(W3C, Context.root(), fields);
  }
}
