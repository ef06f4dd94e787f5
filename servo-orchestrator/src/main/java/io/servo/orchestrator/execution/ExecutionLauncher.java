package io.servo.orchestrator.execution;

import java.util.Optional;

/**
 * Starts executions of deployed workflows: records the execution and its outbox task in one
 * transaction. This is the operation tracing wraps as {@code orchestrator.enqueue_execution}: a
 * decorator sees every launch without the API knowing.
 */
public interface ExecutionLauncher {
  /**
   * Starts {@code workflow}'s latest version for {@code tenant}, or returns the execution {@code
   * idempotencyKey} already started.
   *
   * @param idempotencyKey null when the caller sent none
   * @return empty when {@code tenant} has no workflow of that name
   */
  Optional<LaunchedExecution> launch(String tenant, String workflow, String idempotencyKey);
}
