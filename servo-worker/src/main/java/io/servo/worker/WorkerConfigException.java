package io.servo.worker;

/**
 * The worker cannot start with the configuration it was given. The message names the variable, the
 * offending value (never a secret) and what is accepted, so it can be shown to the operator as is.
 */
public final class WorkerConfigException extends RuntimeException {
  public WorkerConfigException(String message) {
    super(message);
  }
}
