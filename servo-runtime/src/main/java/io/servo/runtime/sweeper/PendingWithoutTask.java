package io.servo.runtime.sweeper;

import io.servo.storage.Execution;
import java.time.Instant;
import java.util.List;

/**
 * Pending executions whose task has left the outbox (a queue accepted it) but which no worker has
 * claimed: the queue lost the task, as the embedded local queue does when its process dies.
 * Across tenants, oldest first.
 *
 * <p>servo-storage has no such query yet; until it has, the orchestrator's sweeper finds only
 * expired leases (see docs/reliability.md). The query it needs, with {@code ? = createdBefore}:
 *
 * <pre>{@code
 * SELECT … FROM servo.executions e WHERE e.state = 'pending' AND e.created_at < ?
 *   AND NOT EXISTS (SELECT 1 FROM servo.task_outbox t WHERE t.execution_id = e.id)
 * ORDER BY e.created_at, e.id LIMIT ?
 * }</pre>
 */
@FunctionalInterface
public interface PendingWithoutTask {
  /** Finds none: the sweeper then re-enqueues only executions whose lease expired. */
  PendingWithoutTask NONE = (createdBefore, limit) -> List.of();

  /** Up to {@code limit} such executions created before {@code createdBefore}. */
  List<Execution> find(Instant createdBefore, int limit);
}
