package io.servo.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The task outbox, read across tenants by the relay. Claims are leased so several orchestrator
 * instances never hand the same task over at the same time, and a relay that dies mid-hand-over
 * leaves the task to be claimed again.
 */
public interface OutboxStore {
  /**
   * Up to {@code limit} tasks available at {@code now} (oldest first), each made unavailable to
   * others for {@code lease}. Each claim counts one attempt: the returned {@code attempts} includes
   * this one and {@code availableAt} is when the claim lapses.
   */
  List<OutboxTask> claimDue(Instant now, Duration lease, int limit);

  /** The queue accepted the task: it leaves the outbox. */
  void markDispatched(long taskId);

  /** The queue refused the task: keep it, record why, and make it available again at {@code retryAt}. */
  void markFailed(long taskId, String error, Instant retryAt);

  /** The pending task of an execution, if it has not been dispatched yet. */
  Optional<OutboxTask> pendingFor(String tenant, String executionId);

  /**
   * Adds a task for an existing execution (a re-enqueue by the sweeper or a manual retry). A task
   * name already in the outbox adds nothing; an execution {@code tenant} does not have throws
   * {@link IllegalArgumentException}.
   */
  void add(String tenant, String executionId, String taskName, byte[] payload);
}
