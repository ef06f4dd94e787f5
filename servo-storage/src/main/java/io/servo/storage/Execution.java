package io.servo.storage;

import io.servo.core.execution.ExecutionState;
import java.time.Instant;

/**
 * An execution row. {@code attempt} counts the times a worker claimed it and is the fencing token
 * for every later write of that worker; {@code leaseUntil} is when a running execution whose worker
 * stopped renewing may be claimed again.
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
    Instant leaseUntil) {}
