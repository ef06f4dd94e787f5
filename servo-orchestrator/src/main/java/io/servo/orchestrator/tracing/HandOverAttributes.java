package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.servo.orchestrator.outbox.HandOverTrace;

/** The messaging attributes of a hand-over (and the Servo ids, where known). */
final class HandOverAttributes implements AttributesExtractor<HandOverTrace.Task, Void> {
  static final HandOverAttributes INSTANCE = new HandOverAttributes();

  private HandOverAttributes() {}

  @Override
  public void onStart(AttributesBuilder attributes, Context parentContext, HandOverTrace.Task task) {
    attributes.put(ServoSpans.MESSAGING_SYSTEM, ServoSpans.GCP_CLOUD_TASKS);
    attributes.put(ServoSpans.MESSAGING_DESTINATION_NAME, task.queueName());
    attributes.put(ServoSpans.MESSAGING_MESSAGE_ID, task.taskName());
    attributes.put(ServoSpans.MESSAGING_OPERATION_TYPE, ServoSpans.SEND);
    if (task.payload() != null) {
      attributes.put(ServoSpans.EXECUTION_ID, task.payload().executionId());
      attributes.put(ServoSpans.WORKFLOW_ID, task.payload().workflow());
      attributes.put(ServoSpans.TENANT_ID, task.payload().tenant());
    }
  }

  @Override
  public void onEnd(AttributesBuilder attributes, Context context, HandOverTrace.Task task,
      Void response, Throwable error) {}
}
