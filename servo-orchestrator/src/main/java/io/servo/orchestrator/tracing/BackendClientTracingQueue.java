package io.servo.orchestrator.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.orchestrator.outbox.HandOverTrace;
import io.servo.telemetry.TraceSampling;

/**
 * The CLIENT span of handing a task to the embedded queue ({@code local_queue.enqueue}), the
 * counterpart of the gRPC CreateTask span of Cloud Tasks. Only inside a trace: a hand-over
 * without one (tracing was off when the task was committed) gets no span rather than a new root.
 */
final class BackendClientTracingQueue implements TaskQueue {
  private final TaskQueue delegate;
  private final Instrumenter<HandOverTrace.Task, Void> client;

  BackendClientTracingQueue(TaskQueue delegate, Instrumenter<HandOverTrace.Task, Void> client) {
    this.delegate = delegate;
    this.client = client;
  }

  @Override
  public void enqueue(QueuedTask task) throws QueueException {
    Context parent = Context.current();
    HandOverTrace.Task handOff = new HandOverTrace.Task(delegate.name(), task.name(), null);
    if (!Span.fromContext(parent).getSpanContext().isValid() || TraceSampling.isUnsampledTrace(parent)
        || !client.shouldStart(parent, handOff)) {
      delegate.enqueue(task);
      return;
    }
    Context context = client.start(parent, handOff);
    Throwable error = null;
    try (var ignored = context.makeCurrent()) {
      delegate.enqueue(task);
    } catch (QueueException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      client.end(context, handOff, null, error);
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  /** The backend is the server's own local queue: closing this closes it. */
  @Override
  public void close() {
    delegate.close();
  }
}
