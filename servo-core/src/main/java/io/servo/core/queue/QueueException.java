package io.servo.core.queue;

/** A task a queue did not accept. The message says what failed and, where known, how to fix it. */
public final class QueueException extends Exception {
  private final boolean retryable;

  public QueueException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
