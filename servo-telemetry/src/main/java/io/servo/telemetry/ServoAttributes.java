package io.servo.telemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute keys and values the orchestrator's and the worker's spans share: one execution's
 * spans are found across both services by these, so they are defined once.
 */
public final class ServoAttributes {
  public static final AttributeKey<String> EXECUTION_ID = AttributeKey.stringKey("servo.execution.id");
  /** The workflow's name: workflows are identified by name within a tenant. */
  public static final AttributeKey<String> WORKFLOW_ID = AttributeKey.stringKey("servo.workflow.id");
  public static final AttributeKey<String> TENANT_ID = AttributeKey.stringKey("servo.tenant.id");
  /** The execution's claim count. */
  public static final AttributeKey<Long> EXECUTION_ATTEMPT = AttributeKey.longKey("servo.execution.attempt");
  /**
   * {@code messaging.system} of the queue hop. Semantic conventions name no value for Cloud Tasks;
   * the local queue imitates Cloud Tasks, so both backends report this one.
   */
  public static final String GCP_CLOUD_TASKS = "gcp_cloud_tasks";

  private ServoAttributes() {}
}
