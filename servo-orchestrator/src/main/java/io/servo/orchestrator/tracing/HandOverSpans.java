package io.servo.orchestrator.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.core.queue.QueueException;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.outbox.HandOverTrace;
import io.servo.telemetry.TraceSampling;

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

  HandOverSpans(Instrumenter<Task, Void> producer) {
    this.producer = producer;
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
    if (TraceSampling.isUnsampledTrace(parent) || !producer.shouldStart(parent, task)) {
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
}
