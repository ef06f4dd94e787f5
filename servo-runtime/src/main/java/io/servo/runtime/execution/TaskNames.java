package io.servo.runtime.execution;

/**
 * Queue task names. A name is derived from the execution and its attempt, so handing the same
 * task over twice (a relay that died between enqueue and marking it dispatched) is a duplicate
 * the queue drops.
 */
public final class TaskNames {
  private TaskNames() {}

  /** {@code exec-<uuid>-<attempt>}: only letters, digits, '-' and '_', as Cloud Tasks requires. */
  public static String forExecution(String executionId, int attempt) {
    return "exec-" + executionId + "-" + attempt;
  }
}
