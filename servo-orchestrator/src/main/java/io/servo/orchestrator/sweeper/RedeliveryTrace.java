package io.servo.orchestrator.sweeper;

import io.servo.core.task.TraceMetadata;
import io.servo.storage.Execution;

/**
 * The trace context put into the payload of a task the sweeper re-enqueues. Tracing installs one
 * that continues the execution's trace; without tracing there is none.
 */
@FunctionalInterface
public interface RedeliveryTrace {
  RedeliveryTrace NONE = (execution, reason) -> TraceMetadata.EMPTY;

  /**
   * @param reason why the execution is re-enqueued ({@link StuckReason#id()})
   */
  TraceMetadata contextFor(Execution execution, StuckReason reason);
}
