package io.servo.worker.execution;

import io.servo.storage.ExecutionStore;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews a claimed execution's lease every third of the lease while the worker runs it, so a
 * worker that dies lets the lease lapse and the next delivery takes over.
 */
final class LeaseHeartbeat {
  private static final Logger log = LoggerFactory.getLogger(LeaseHeartbeat.class);

  private final ExecutionStore store;
  private final ScheduledExecutorService scheduler;
  private final Duration lease;

  LeaseHeartbeat(ExecutionStore store, ScheduledExecutorService scheduler, Duration lease) {
    this.store = store;
    this.scheduler = scheduler;
    this.lease = lease;
  }

  Beat start(String tenant, String executionId, int attempt) {
    return new Beat(tenant, executionId, attempt);
  }

  /** The renewals of one claim; {@link #lost()} turns true when the store says the claim is gone. */
  final class Beat implements AutoCloseable {
    private final String tenant;
    private final String executionId;
    private final int attempt;
    private final ScheduledFuture<?> renewals;
    private volatile boolean lost;

    private Beat(String tenant, String executionId, int attempt) {
      this.tenant = tenant;
      this.executionId = executionId;
      this.attempt = attempt;
      long period = Math.max(1, lease.toMillis() / 3);
      this.renewals = scheduler.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    private void renew() {
      try {
        if (!store.renewLease(tenant, executionId, attempt, lease)) {
          lost = true;
          log.warn("execution {} attempt {}: lease lost to another worker; stopping after the "
              + "current asset", executionId, attempt);
          renewals.cancel(false);
        }
      } catch (RuntimeException e) { // StorageException, or a bug: never kill the schedule
        // Keep trying: the lease outlives two missed renewals, and the next one may succeed.
        log.warn("execution {} attempt {}: could not renew the lease ({})", executionId, attempt,
            e.getClass().getSimpleName());
      }
    }

    boolean lost() {
      return lost;
    }

    @Override
    public void close() {
      renewals.cancel(false);
    }
  }
}
