package io.servo.storage;

/**
 * What the orchestrator records when it starts an execution; {@code idempotencyKey}, {@code
 * traceId} and {@code traceParent} may be null.
 *
 * @param traceParent the W3C traceparent the payload was created with, which a redelivery continues
 */
public record NewExecution(
    String id,
    String tenant,
    String workflow,
    int workflowVersion,
    String idempotencyKey,
    String traceId,
    String traceParent) {

  /** An execution whose payload's trace context is not recorded. */
  public NewExecution(String id, String tenant, String workflow, int workflowVersion, String idempotencyKey,
      String traceId) {
    this(id, tenant, workflow, workflowVersion, idempotencyKey, traceId, null);
  }
}
