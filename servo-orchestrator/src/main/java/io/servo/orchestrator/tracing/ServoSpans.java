package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes;
import io.servo.core.execution.ExecutionSpanAttributes;

/** Span names and attribute keys of the orchestrator's own spans, in one place. */
final class ServoSpans {
  /** The instrumentation scope of every span this package starts. */
  static final String INSTRUMENTATION_NAME = "io.servo.orchestrator";

  static final String ENQUEUE_EXECUTION = "orchestrator.enqueue_execution";
  static final String CLOUD_TASKS_ENQUEUE = "cloud_tasks.enqueue";
  static final String LOCAL_QUEUE_ENQUEUE = "local_queue.enqueue";
  static final String REDELIVER_EXECUTION = "orchestrator.redeliver_execution";

  static final AttributeKey<String> EXECUTION_ID = AttributeKey.stringKey(ExecutionSpanAttributes.EXECUTION_ID);
  static final AttributeKey<String> WORKFLOW_ID = AttributeKey.stringKey(ExecutionSpanAttributes.WORKFLOW_ID);
  static final AttributeKey<String> TENANT_ID = AttributeKey.stringKey(ExecutionSpanAttributes.TENANT_ID);
  /** Why the sweeper re-enqueued an execution ({@code lease_expired}, {@code pending_without_task}). */
  static final AttributeKey<String> REDELIVERY_REASON = AttributeKey.stringKey("servo.redelivery.reason");
  /** The execution's claim count when it was found stuck. */
  static final AttributeKey<Long> EXECUTION_ATTEMPT = AttributeKey.longKey(ExecutionSpanAttributes.EXECUTION_ATTEMPT);

  static final AttributeKey<String> MESSAGING_SYSTEM = MessagingIncubatingAttributes.MESSAGING_SYSTEM;
  static final AttributeKey<String> MESSAGING_DESTINATION_NAME =
      MessagingIncubatingAttributes.MESSAGING_DESTINATION_NAME;
  static final AttributeKey<String> MESSAGING_MESSAGE_ID = MessagingIncubatingAttributes.MESSAGING_MESSAGE_ID;
  static final AttributeKey<String> MESSAGING_OPERATION_TYPE =
      MessagingIncubatingAttributes.MESSAGING_OPERATION_TYPE;

  static final String GCP_CLOUD_TASKS = ExecutionSpanAttributes.MESSAGING_SYSTEM_CLOUD_TASKS;
  static final String SEND =
      MessagingIncubatingAttributes.MessagingOperationTypeIncubatingValues.SEND;

  private ServoSpans() {}
}
