package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;

/** The messaging attributes of a hand-over (and the Servo ids, where known). */
final class QueueHandOffAttributes implements AttributesExtractor<QueueHandOff, Void> {
  static final QueueHandOffAttributes INSTANCE = new QueueHandOffAttributes();

  private QueueHandOffAttributes() {}

  @Override
  public void onStart(AttributesBuilder attributes, Context parentContext, QueueHandOff handOff) {
    attributes.put(ServoSpans.MESSAGING_SYSTEM, ServoSpans.GCP_CLOUD_TASKS);
    attributes.put(ServoSpans.MESSAGING_DESTINATION_NAME, handOff.queueName());
    attributes.put(ServoSpans.MESSAGING_MESSAGE_ID, handOff.taskName());
    attributes.put(ServoSpans.MESSAGING_OPERATION_TYPE, ServoSpans.SEND);
    if (handOff.executionId() != null) {
      attributes.put(ServoSpans.EXECUTION_ID, handOff.executionId());
      attributes.put(ServoSpans.WORKFLOW_ID, handOff.workflow());
      attributes.put(ServoSpans.TENANT_ID, handOff.tenant());
    }
  }

  @Override
  public void onEnd(AttributesBuilder attributes, Context context, QueueHandOff handOff,
      Void response, Throwable error) {}
}
