package io.servo.orchestrator.execution;

import io.servo.core.task.TraceMetadata;

/**
 * Supplies the trace context written into each new task payload (and so covered by its
 * signature). Tracing installs one that reads the current span; until then there is none.
 */
@FunctionalInterface
public interface TraceContextSource {
  TraceContextSource NONE = () -> TraceMetadata.EMPTY;

  /** The context of the operation creating the payload, or {@link TraceMetadata#EMPTY}. */
  TraceMetadata current();
}
