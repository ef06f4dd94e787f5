package io.servo.storage;

/** What the orchestrator records when it starts an execution; {@code idempotencyKey} and {@code traceId} may be null. */
public record NewExecution(
    String id,
    String tenant,
    String workflow,
    int workflowVersion,
    String idempotencyKey,
    String traceId) {}
