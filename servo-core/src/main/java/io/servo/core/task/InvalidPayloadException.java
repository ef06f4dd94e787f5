package io.servo.core.task;

/** A task body that is not a payload this worker can run; the request must not be retried. */
public final class InvalidPayloadException extends RuntimeException {
  public InvalidPayloadException(String message) {
    super(message);
  }
}
