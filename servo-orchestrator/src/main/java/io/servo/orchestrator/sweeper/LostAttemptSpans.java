package io.servo.orchestrator.sweeper;

import io.servo.storage.Execution;
import io.servo.storage.LostAttempt;
import java.time.Instant;

/**
 * Ends the spans a dead worker's attempt left open, when the sweeper re-enqueues its execution
 * after the lease expired. Tracing installs one; without tracing the sweeper does not even take
 * them from the store (the next claim then ends them, if its worker traces).
 */
@FunctionalInterface
public interface LostAttemptSpans {
  LostAttemptSpans NONE = (execution, lost, now) -> {};

  /** Ends what {@code lost}, an attempt of {@code execution}, recorded, at {@code now}. Must not throw. */
  void end(Execution execution, LostAttempt lost, Instant now);
}
