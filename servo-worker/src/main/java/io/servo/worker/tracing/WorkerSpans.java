package io.servo.worker.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes;
import io.servo.core.execution.ExecutionSpanAttributes;
import io.servo.core.workflow.Asset;
import java.util.List;

/** Span names, attribute keys and context keys of the worker's spans, in one place. */
final class WorkerSpans {
  /** The instrumentation scope of every span this package starts. */
  static final String INSTRUMENTATION_NAME = "io.servo.worker";

  static final String EXECUTE_ROUTE = "/execute";
  static final String EXECUTE_WORKFLOW = "worker.execute_workflow";
  static final String EXECUTE_ASSET = "worker.execute_asset";

  static final AttributeKey<String> EXECUTION_ID = AttributeKey.stringKey(ExecutionSpanAttributes.EXECUTION_ID);
  static final AttributeKey<String> WORKFLOW_ID = AttributeKey.stringKey(ExecutionSpanAttributes.WORKFLOW_ID);
  static final AttributeKey<String> TENANT_ID = AttributeKey.stringKey(ExecutionSpanAttributes.TENANT_ID);
  static final AttributeKey<Long> ASSET_COUNT = AttributeKey.longKey("servo.asset_count");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey(ExecutionSpanAttributes.EXECUTION_ATTEMPT);
  static final AttributeKey<String> EXECUTION_STATE = AttributeKey.stringKey("servo.execution.state");
  /** On the spans of a lost attempt that another worker ended. */
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final String WORKER_LOST = ExecutionSpanAttributes.ERROR_TYPE_WORKER_LOST;
  static final AttributeKey<Boolean> REDELIVERED = AttributeKey.booleanKey("servo.execution.redelivered");
  static final AttributeKey<Long> QUEUE_WAIT_MS = AttributeKey.longKey("servo.queue.wait_ms");

  static final AttributeKey<String> ASSET_NAME = AttributeKey.stringKey("servo.asset.name");
  static final AttributeKey<String> ASSET_KIND = AttributeKey.stringKey("servo.asset.kind");
  static final AttributeKey<Boolean> ASSET_TIMED_OUT = AttributeKey.booleanKey("servo.asset.timed_out");

  static final AttributeKey<String> LINK_REASON = AttributeKey.stringKey("servo.link.reason");
  /** Why the SERVER and CONSUMER spans link to the context in the request's W3C header. */
  static final String FRONT_END_TRACEPARENT = "front_end_traceparent";

  static final AttributeKey<String> MESSAGING_SYSTEM = MessagingIncubatingAttributes.MESSAGING_SYSTEM;
  static final AttributeKey<String> MESSAGING_DESTINATION_NAME =
      MessagingIncubatingAttributes.MESSAGING_DESTINATION_NAME;
  static final AttributeKey<String> MESSAGING_MESSAGE_ID = MessagingIncubatingAttributes.MESSAGING_MESSAGE_ID;
  static final AttributeKey<String> MESSAGING_OPERATION_TYPE =
      MessagingIncubatingAttributes.MESSAGING_OPERATION_TYPE;
  /** Semantic conventions name no Cloud Tasks attributes; these follow their {@code messaging.<system>.*} pattern. */
  static final AttributeKey<Long> TASK_RETRY_COUNT =
      AttributeKey.longKey("messaging.gcp_cloud_tasks.task.retry_count");
  static final AttributeKey<Long> TASK_EXECUTION_COUNT =
      AttributeKey.longKey("messaging.gcp_cloud_tasks.task.execution_count");
  static final String GCP_CLOUD_TASKS = ExecutionSpanAttributes.MESSAGING_SYSTEM_CLOUD_TASKS;
  static final String PROCESS =
      MessagingIncubatingAttributes.MessagingOperationTypeIncubatingValues.PROCESS;

  /** The context in the request's W3C {@code traceparent} when it differs from the parent chosen. */
  static final ContextKey<SpanContext> FRONT_END_CONTEXT = ContextKey.named("servo-front-end-traceparent");
  /** The CONSUMER span of the delivery running on this thread. */
  static final ContextKey<Span> DELIVERY_SPAN = ContextKey.named("servo-delivery-span");
  /**
   * The spans of this thread's delivery (CONSUMER and SERVER) or asset that another worker must end
   * should this one die.
   */
  static final ContextKey<List<Span>> OPEN_WORK = ContextKey.named("servo-open-work");
  /** The asset running on this thread: its HTTP CLIENT span describes the URL as written. */
  static final ContextKey<Asset> RUNNING_ASSET = ContextKey.named("servo-running-asset");

  private WorkerSpans() {}
}
