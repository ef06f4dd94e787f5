package io.servo.queue.cloudtasks;

/**
 * A Cloud Tasks setting the orchestrator cannot start with. The message names every offending
 * variable, what it is for and what is accepted.
 */
public final class CloudTasksConfigException extends RuntimeException {
  public CloudTasksConfigException(String message) {
    super(message);
  }
}
