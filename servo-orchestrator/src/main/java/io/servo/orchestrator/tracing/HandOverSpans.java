package io.servo.orchestrator.tracing;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.servo.core.queue.QueueException;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.outbox.HandOverTrace;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;

/**
 * The producer side of the queue hop: each hand-over attempt becomes a {@code cloud_tasks.enqueue}
 * PRODUCER span, a child of the context committed in the payload (the execution's {@code
 * orchestrator.enqueue_execution}, or the sweeper's {@code orchestrator.redeliver_execution}). The
 * producer's context is what the task carries to the worker, signed in Servo's trace headers; the
 * payload is not touched.
 *
 * <p>A payload without trace context (tracing was off when it was committed) gets no span and
 * carries none. Beneath an unsampled parent nothing is recorded and the task carries that (not
 * sampled) context, so the worker follows the decision.
 */
final class HandOverSpans implements HandOverTrace {
  private static final int TRACE_ID_START = 3;
  private static final int TRACE_ID_END = 35;
  private static final int SPAN_ID_START = 36;
  private static final int SPAN_ID_END = 52;
  private final Instrumenter<Task, Void> producer;
  private final KeptTraces keptTraces;
  private final IdGenerator ids;

  HandOverSpans(Instrumenter<Task, Void> producer, KeptTraces keptTraces, IdGenerator ids) {
    this.producer = producer;
    this.keptTraces = keptTraces;
    this.ids = ids;
  }

  @Override
  public void around(Task task, Send send) throws QueueException {
    TraceMetadata committed = task.payload().trace();
    if (committed.isEmpty()) {
      send.send(TraceMetadata.EMPTY);
      return;
    }
    if (ServoTraceContextPropagator.isUnsampledTraceparent(committed.traceparent())) {
      // Not sampled (checked without a full extract: this is 99 tasks in 100 at 1%). The task
      // carries that context on, or one naming its own span id when the trace may still be kept.
      KeptTraces.Held held = keptTraces.enabled()
          ? keptTraces.held(committed.traceparent().substring(TRACE_ID_START, TRACE_ID_END)) : null;
      if (held == null) {
        send.send(committed);
      } else {
        noted(held, task, committed, send);
      }
      return;
    }
    // The relay runs on its own thread: the parent is what the payload says, never the thread's context.
    Context parent = PayloadContext.extract(committed);
    if (TraceSampling.isUnsampledTrace(parent)) {
      send.send(committed); // not a version-00 traceparent, but not sampled either
      return;
    }
    if (!producer.shouldStart(parent, task)) {
      send.send(committed);
      return;
    }
    Context context = producer.start(parent, task);
    Throwable error = null;
    try (Scope ignored = context.makeCurrent()) {
      send.send(PayloadContext.inject(context));
    } catch (QueueException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      producer.end(context, task, null, error);
    }
  }

  /**
   * An unsampled hand-over of an execution whose trace may still be kept: the task carries a span
   * id of its own (still not sampled), which the held skeleton's hand-over part gets, so that the
   * worker's part of a kept trace hangs beneath the hand-over as a sampled one does.
   */
  private void noted(KeptTraces.Held held, Task task, TraceMetadata committed, Send send)
      throws QueueException {
    String spanId = ids.generateSpanId();
    TraceSkeleton skeleton = held.skeleton();
    int part = skeleton.openUnder(held.handOverParent(), ServoSpans.CLOUD_TASKS_ENQUEUE, SpanKind.PRODUCER, spanId);
    Throwable error = null;
    try {
      // The committed traceparent with this hand-over's span id in place of its parent's.
      String traceparent = committed.traceparent();
      send.send(new TraceMetadata(traceparent.substring(0, SPAN_ID_START) + spanId
          + traceparent.substring(SPAN_ID_END), committed.tracestate()));
    } catch (QueueException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      skeleton.close(part, new KeptParts.HandOver(task, error));
    }
  }
}
