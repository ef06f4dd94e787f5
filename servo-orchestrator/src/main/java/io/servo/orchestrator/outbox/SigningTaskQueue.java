package io.servo.orchestrator.outbox;

import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.TaskSignature;
import java.util.HashMap;
import java.util.Map;

/**
 * The last step before the queue backend: signs the body exactly as it is handed over, so the
 * signature covers whatever a decorator in front of it wrote into the body (the trace context of
 * the hand-over). It does not own the backend and does not close it.
 */
final class SigningTaskQueue implements TaskQueue {
  private final TaskQueue backend;
  private final TaskSignature signature;

  SigningTaskQueue(TaskQueue backend, TaskSignature signature) {
    this.backend = backend;
    this.signature = signature;
  }

  @Override
  public void enqueue(QueuedTask task) throws QueueException {
    Map<String, String> headers = new HashMap<>(task.headers());
    headers.putAll(signature.sign(task.body()));
    backend.enqueue(new QueuedTask(task.name(), task.body(), headers));
  }

  @Override
  public String name() {
    return backend.name();
  }
}
