package io.servo.orchestrator.sweeper;

import io.servo.storage.Execution;
import java.time.Instant;
import java.util.List;

/**
 * Pending executions whose task has left the outbox (a queue accepted it) but which no worker has
 * claimed: the queue lost the task, as the embedded local queue does when its process dies.
 * Across tenants, oldest first.
 *
 * The orchestrator uses {@code ExecutionStore.pendingWithoutTask}.
 */
@FunctionalInterface
public interface PendingWithoutTask {
  /** Finds none: the sweeper then re-enqueues only executions whose lease expired. */
  PendingWithoutTask NONE = (createdBefore, limit) -> List.of();

  /** Up to {@code limit} such executions created before {@code createdBefore}. */
  List<Execution> find(Instant createdBefore, int limit);
}
