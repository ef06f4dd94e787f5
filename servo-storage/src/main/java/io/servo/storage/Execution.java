package io.servo.storage;

import io.servo.core.execution.ExecutionState;
import java.time.Instant;

/**
 * An execution row. {@code attempt} counts the times a worker claimed it and is the fencing token
 * for every later write of that worker; {@code leaseUntil} is when a running execution whose worker
 * stopped renewing may be claimed again; {@code traceKept} says why its unsampled trace was exported
 * whole after all ({@code error}, {@code slow}), or is null.
 */
public record Execution(
    String id,
    String tenant,
    String workflow,
    int workflowVersion,
    ExecutionState state,
    String idempotencyKey,
    String traceId,
    String error,
    int attempt,
    Instant createdAt,
    Instant startedAt,
    Instant endedAt,
    Instant leaseUntil,
    String traceKept) {

  /** An execution whose trace was not kept. */
  public Execution(String id, String tenant, String workflow, int workflowVersion, ExecutionState state,
      String idempotencyKey, String traceId, String error, int attempt, Instant createdAt, Instant startedAt,
      Instant endedAt, Instant leaseUntil) {
    this(id, tenant, workflow, workflowVersion, state, idempotencyKey, traceId, error, attempt, createdAt,
        startedAt, endedAt, leaseUntil, null);
  }
}
