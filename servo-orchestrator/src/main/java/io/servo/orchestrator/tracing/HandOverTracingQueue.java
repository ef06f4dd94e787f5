package io.servo.orchestrator.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.InvalidPayloadException;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.TraceSampling;
import java.util.HashMap;
import java.util.Map;

/**
 * The producer side of the queue hop: each hand-over attempt becomes a {@code cloud_tasks.enqueue}
 * PRODUCER span, a child of the context committed in the payload (the execution's {@code
 * orchestrator.enqueue_execution}). The payload's {@code trace} is rewritten to the producer span
 * before the relay signs the body, and the same context goes into the task's headers, so the
 * worker's span hangs beneath the producer whichever it trusts.
 *
 * <p>A payload without trace context (tracing was off when it was committed, or an old row) passes
 * through untouched: no span, no headers, the same bytes.
 */
final class HandOverTracingQueue implements TaskQueue {
  private final TaskQueue delegate;
  private final Instrumenter<QueueHandOff, Void> producer;

  HandOverTracingQueue(TaskQueue delegate, Instrumenter<QueueHandOff, Void> producer) {
    this.delegate = delegate;
    this.producer = producer;
  }

  @Override
  public void enqueue(QueuedTask task) throws QueueException {
    TaskPayloadCodec.Header payload;
    try {
      // Only the names and the trace: the definition is the worker's to validate, not the relay's.
      payload = TaskPayloadCodec.readHeader(task.body());
    } catch (InvalidPayloadException e) {
      // Not for tracing to judge: the worker rejects it with a reason.
      delegate.enqueue(task);
      return;
    }
    if (payload.trace().isEmpty()) {
      delegate.enqueue(task);
      return;
    }
    // The relay runs on its own thread: the parent is what the payload says, never the thread's context.
    Context parent = PayloadContext.extract(payload.trace());
    if (TraceSampling.isUnsampledTrace(parent)) {
      // Nothing beneath an unsampled parent is recorded: no producer span, and the payload keeps the
      // trace it was committed with. The headers carry the same (not sampled) context.
      delegate.enqueue(new QueuedTask(task.name(), task.body(), withTraceHeaders(task, payload.trace())));
      return;
    }
    QueueHandOff handOff = new QueueHandOff(delegate.name(), task.name(), payload.executionId(),
        payload.workflow(), payload.tenant());
    if (!producer.shouldStart(parent, handOff)) {
      delegate.enqueue(task);
      return;
    }
    Context context = producer.start(parent, handOff);
    Throwable error = null;
    try (Scope ignored = context.makeCurrent()) {
      TraceMetadata trace = PayloadContext.inject(context);
      delegate.enqueue(new QueuedTask(task.name(), TaskPayloadCodec.withTrace(task.body(), payload, trace),
          withTraceHeaders(task, trace)));
    } catch (QueueException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      producer.end(context, handOff, null, error);
    }
  }

  private static Map<String, String> withTraceHeaders(QueuedTask task, TraceMetadata trace) {
    Map<String, String> headers = new HashMap<>(task.headers());
    headers.put(TaskTraceHeaders.TRACEPARENT, trace.traceparent());
    headers.put(TaskTraceHeaders.SERVO_TRACEPARENT, trace.traceparent());
    if (trace.tracestate() != null) {
      headers.put(TaskTraceHeaders.TRACESTATE, trace.tracestate());
      headers.put(TaskTraceHeaders.SERVO_TRACESTATE, trace.tracestate());
    }
    return headers;
  }

  @Override
  public String name() {
    return delegate.name();
  }
}
