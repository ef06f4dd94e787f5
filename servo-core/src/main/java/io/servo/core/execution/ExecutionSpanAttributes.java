package io.servo.core.execution;

/**
 * The names of the span attributes, and the {@code messaging.system} value, that the orchestrator's
 * and the worker's spans share: one execution's spans are found across both services by these, so
 * they are defined once, here, where both services see them. Names only: servo-core knows nothing of
 * OpenTelemetry, and each service makes its own attribute keys of them.
 */
public final class ExecutionSpanAttributes {
  public static final String EXECUTION_ID = "servo.execution.id";
  /** The workflow's name: workflows are identified by name within a tenant. */
  public static final String WORKFLOW_ID = "servo.workflow.id";
  public static final String TENANT_ID = "servo.tenant.id";
  /** The execution's claim count (a long). */
  public static final String EXECUTION_ATTEMPT = "servo.execution.attempt";
  /**
   * {@code error.type} of the spans a dead worker's attempt left open, as whoever took the execution
   * over (the next worker, or the orchestrator's sweeper) ended them.
   */
  public static final String ERROR_TYPE_WORKER_LOST = "io.servo.worker.WorkerLost";
  /**
   * {@code messaging.system} of the queue hop. Semantic conventions name no value for Cloud Tasks;
   * the local queue imitates Cloud Tasks, so both backends report this one.
   */
  public static final String MESSAGING_SYSTEM_CLOUD_TASKS = "gcp_cloud_tasks";

  private ExecutionSpanAttributes() {}
}
