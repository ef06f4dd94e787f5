package io.servo.core.queue;

/**
 * Where the orchestrator's outbox relay hands committed tasks; the queue then delivers each one by
 * HTTP POST to the worker's {@code /execute}. Implementations: the embedded local queue and Google
 * Cloud Tasks.
 */
public interface TaskQueue extends AutoCloseable {
  /**
   * Accepts a task for delivery. Idempotent by task name: enqueueing a name the queue already holds
   * (or has delivered) returns normally and delivers nothing more.
   *
   * @throws QueueException when the task was not accepted; {@link QueueException#retryable()} says
   *     whether trying again later can help
   */
  void enqueue(QueuedTask task) throws QueueException;

  /** The queue's name as workers see it in {@code X-CloudTasks-QueueName}. */
  String name();

  @Override
  default void close() {}
}
