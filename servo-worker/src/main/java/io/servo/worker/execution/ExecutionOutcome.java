package io.servo.worker.execution;

import io.servo.core.execution.ExecutionState;
import io.servo.storage.AssetResult;
import java.time.Instant;
import java.util.List;

/** How one delivery of a task ended; the HTTP layer maps each case to a status code. */
public sealed interface ExecutionOutcome {
  String executionId();

  /** The execution ended (now, or before this delivery when {@code replayed}). Answer 200: no retry. */
  record Ended(String executionId, ExecutionState state, List<AssetResult> assets, boolean replayed)
      implements ExecutionOutcome {
    public Ended {
      assets = List.copyOf(assets);
    }
  }

  /** No such execution for the payload's tenant. Answer 404: retrying cannot help. */
  record NotFound(String executionId) implements ExecutionOutcome {}

  /** Another worker holds a live lease on it until {@code leaseUntil} (null if unknown). Answer 503. */
  record Busy(String executionId, Instant leaseUntil) implements ExecutionOutcome {}

  /**
   * This delivery stopped before the execution ended: Servo's database failed, the claim was lost,
   * or the worker is shutting down. Answer 503 so the queue delivers again; the next attempt resumes.
   * {@code reason} is safe to show; {@code cause} (may be null) is what failed, for diagnostics.
   */
  record Interrupted(String executionId, String reason, Throwable cause) implements ExecutionOutcome {
    /** Interrupted by something other than an exception (a lost claim, a shutdown). */
    public Interrupted(String executionId, String reason) {
      this(executionId, reason, null);
    }
  }
}
