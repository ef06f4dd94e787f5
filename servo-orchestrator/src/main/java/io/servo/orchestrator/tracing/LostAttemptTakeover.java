package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.servo.core.execution.ExecutionSpanAttributes;
import io.servo.orchestrator.sweeper.LostAttemptSpans;
import io.servo.storage.Execution;
import io.servo.storage.LostAttempt;
import io.servo.telemetry.SpanTakeover;
import java.time.Instant;

/**
 * Ends a dead worker's open spans (its {@code POST /execute}, {@code worker.execute_workflow} and
 * running asset span) from the orchestrator, when the sweeper re-enqueues the execution. The worker
 * wrote them to the execution's rows in {@code OpenSpan}'s format, which is servo-telemetry's, not
 * the worker's: the orchestrator needs nothing of the worker to read them. They are exported through
 * the orchestrator's pipeline, so they carry its resource.
 */
final class LostAttemptTakeover implements LostAttemptSpans {
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private final SpanTakeover takeover;

  LostAttemptTakeover(SpanTakeover takeover) {
    this.takeover = takeover;
  }

  @Override
  public void end(Execution execution, LostAttempt lost, Instant now) {
    takeover.endRecorded(lost.openSpans(), now, lost.description(), Attributes.builder()
        .put(ServoSpans.EXECUTION_ID, execution.id())
        .put(ServoSpans.TENANT_ID, execution.tenant())
        .put(ServoSpans.EXECUTION_ATTEMPT, (long) lost.attempt())
        .put(ERROR_TYPE, ExecutionSpanAttributes.ERROR_TYPE_WORKER_LOST)
        .build());
  }
}
