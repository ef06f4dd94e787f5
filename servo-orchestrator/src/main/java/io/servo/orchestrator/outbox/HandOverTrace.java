package io.servo.orchestrator.outbox;

import io.servo.core.queue.QueueException;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TraceMetadata;

/**
 * Tracing's part of a {@link HandOver}: it runs the send inside the hand-over's producer span and
 * says which trace context the task carries to the worker (signed with the body). Tracing installs
 * one; without tracing a task carries none.
 */
@FunctionalInterface
public interface HandOverTrace {
  /** No span; the task carries no trace context. */
  HandOverTrace NONE = (task, send) -> send.send(TraceMetadata.EMPTY);

  /** Calls {@code send} exactly once, with the context the worker should continue. */
  void around(Task task, Send send) throws QueueException;

  /**
   * One task being handed over.
   *
   * @param queueName the queue it goes to, as workers see it
   * @param payload the payload's names and committed {@code trace}; null where only the queue's view
   *     is known (the embedded queue's client span)
   */
  record Task(String queueName, String taskName, TaskPayloadCodec.Header payload) {}

  /** Signs the task with {@code context} in Servo's trace headers and gives it to the queue. */
  @FunctionalInterface
  interface Send {
    void send(TraceMetadata context) throws QueueException;
  }
}
