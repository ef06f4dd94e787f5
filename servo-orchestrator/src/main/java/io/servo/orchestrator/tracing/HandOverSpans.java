package io.servo.orchestrator.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
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
    // The relay runs on its own thread: the parent is what the payload says, never the thread's context.
    Context parent = PayloadContext.extract(committed);
    if (TraceSampling.isUnsampledTrace(parent)) {
      KeptTraces.Held held = keptTraces.enabled()
          ? keptTraces.held(Span.fromContext(parent).getSpanContext().getTraceId()) : null;
      if (held == null) {
        send.send(committed);
      } else {
        noted(held, task, Span.fromContext(parent).getSpanContext(), committed, send);
      }
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
  private void noted(KeptTraces.Held held, Task task, SpanContext parent, TraceMetadata committed, Send send)
      throws QueueException {
    String spanId = ids.generateSpanId();
    TraceSkeleton skeleton = held.skeleton();
    int part = skeleton.openUnder(held.handOverParent(), ServoSpans.CLOUD_TASKS_ENQUEUE, SpanKind.PRODUCER, spanId);
    Throwable error = null;
    try {
      send.send(new TraceMetadata("00-" + parent.getTraceId() + "-" + spanId + "-"
          + parent.getTraceFlags().asHex(), committed.tracestate()));
    } catch (QueueException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      skeleton.close(part, new KeptParts.HandOver(task, error));
    }
  }
}
