package io.servo.storage;

import io.servo.core.execution.ExecutionState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Executions and their asset results. Every state change is one conditional update ({@code …
 * WHERE state = ?}), never read-then-write. Methods taking a tenant see only that tenant's rows.
 */
public interface ExecutionStore {
  /**
   * Inserts the execution (state pending) and its outbox task in one transaction. When {@code
   * execution.idempotencyKey()} already names an execution of the same tenant and workflow, inserts
   * nothing and returns that one with {@code created == false}.
   */
  CreatedExecution create(NewExecution execution, String taskName, byte[] payload);

  Optional<Execution> find(String tenant, String executionId);

  /**
   * Applies {@code from → to} if the execution is still in {@code from}; true when it was applied.
   * Ends any lease. Throws {@link IllegalArgumentException} when the state machine has no such
   * transition.
   */
  boolean transition(String tenant, String executionId, ExecutionState from, ExecutionState to, String error);

  /**
   * A worker's claim: pending → running, or a running execution whose lease has expired (its
   * worker died) taken over. Increments {@code attempt} and sets the lease. Empty when the
   * execution cannot be claimed now (ended, or running under a live lease).
   */
  default Optional<Execution> claim(String tenant, String executionId, Duration lease) {
    return claim(tenant, executionId, lease, null).map(Claim::execution);
  }

  /**
   * {@link #claim(String, String, Duration)} that also records {@code openSpans}: what the claiming
   * attempt's tracing needs to end its open spans should its worker die (null when it traces
   * nothing). It is kept until the attempt gives the claim back or ends the execution. A claim
   * that takes over an expired lease whose attempt still had spans recorded returns them as {@link
   * Claim#lostAttempt()}, with those its running asset recorded ({@link #recordAssetResult(String,
   * AssetResult, String)}), and no other claim ever returns them again: the take-over is fenced by
   * the attempt number like every other write.
   */
  Optional<Claim> claim(String tenant, String executionId, Duration lease, String openSpans);

  /**
   * Takes what {@code attempt} recorded of its open spans (see {@link #claim(String, String,
   * Duration, String)}) while it still holds the running execution under a lease that has expired:
   * for the sweeper, which re-enqueues such an execution, to end them. Fenced like the claim: the
   * spans go to this call or to the claim that takes the execution over, never to both. Empty when
   * there is nothing to take.
   */
  Optional<LostAttempt> takeLostAttempt(String tenant, String executionId, int attempt);

  /** Extends the lease if {@code attempt} still holds it. */
  boolean renewLease(String tenant, String executionId, int attempt, Duration lease);

  /**
   * Gives up a claim early (the worker will answer 5xx so the queue redelivers); false if lost. The
   * execution stays running with no lease, so the next {@link #claim} takes it at once.
   */
  boolean releaseLease(String tenant, String executionId, int attempt);

  /**
   * running → {@code to} (an ended state) if {@code attempt} still holds the claim. Throws {@link
   * IllegalArgumentException} when {@code to} is not one running may end in.
   */
  default boolean finish(String tenant, String executionId, int attempt, ExecutionState to, String error) {
    return finish(tenant, executionId, attempt, to, error, null);
  }

  /**
   * {@link #finish(String, String, int, ExecutionState, String)} that also records why the trace
   * of the execution is kept ({@code traceKept}: {@code error} or {@code slow}; null when it is not).
   */
  boolean finish(String tenant, String executionId, int attempt, ExecutionState to, String error,
      String traceKept);

  /**
   * Records the worker's part of a kept trace ({@code keptSpans}) on an execution whose trace was
   * kept; false when it was not (nothing is written).
   */
  boolean recordKeptSpans(String tenant, String executionId, String keptSpans);

  /**
   * Of {@code executionIds}, across tenants, the ended ones, with whether their trace was kept and
   * the worker's part of it (for the orchestrator that holds the rest).
   */
  List<KeptTraceState> endedOf(java.util.Collection<String> executionIds);

  /**
   * The W3C traceparent the execution's payload was created with, across tenants (for the sweeper's
   * redeliveries); empty when none was recorded.
   */
  Optional<String> traceParent(String executionId);

  /** Forgets the worker's part of a kept trace once exported. */
  void clearKeptSpans(String executionId);

  /**
   * Inserts or replaces the result of {@code result.assetName()} for the execution if the claim of
   * {@code result.attempt()} still holds it (the execution is running under that attempt), like
   * {@link #finish}. False when nothing was written because the claim was lost: another worker took
   * the execution over, or it ended. Throws {@link IllegalArgumentException} when {@code tenant} has
   * no such execution.
   */
  default boolean recordAssetResult(String tenant, AssetResult result) {
    return recordAssetResult(tenant, result, null);
  }

  /**
   * {@link #recordAssetResult(String, AssetResult)} that also records {@code openSpans} with a
   * running result: what ends the asset's span should its worker die (see {@link #claim(String,
   * String, Duration, String)}). Any other write of the result clears it.
   */
  boolean recordAssetResult(String tenant, AssetResult result, String openSpans);

  /** Results in the order the assets started. */
  List<AssetResult> assetResults(String tenant, String executionId);

  /**
   * Running executions whose lease ended before {@code now} or that hold none (released), across
   * tenants (for the sweeper), least recently changed first.
   */
  List<Execution> expiredLeases(Instant now, int limit);

  /**
   * Pending executions created before {@code createdBefore} whose task has left the outbox (a queue
   * accepted it) yet no worker claimed them: the queue lost the task. Across tenants, oldest first
   * (for the sweeper).
   */
  List<Execution> pendingWithoutTask(Instant createdBefore, int limit);
}
