package io.servo.orchestrator.execution;

import java.time.Instant;

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

  /**
   * {@code exec-<uuid>-<n>} for a task the sweeper adds for a stuck execution, with {@code n} the
   * time of the sweep in milliseconds since the epoch. It must differ from every earlier task of
   * the execution: Cloud Tasks drops a name it has seen before (for up to about an hour after the
   * task ended), and a redelivery that is itself lost needs yet another name. A counter kept in
   * the outbox would be gone once its task is dispatched; the clock is not.
   */
  public static String forRedelivery(String executionId, Instant sweptAt) {
    return "exec-" + executionId + "-" + sweptAt.toEpochMilli();
  }
}
