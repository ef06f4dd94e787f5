package io.servo.orchestrator.outbox;

import io.servo.core.queue.QueueException;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.TaskSignature;
import io.servo.storage.OutboxStore;
import io.servo.storage.OutboxTask;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves committed tasks from the outbox to the {@link TaskQueue}. A background thread claims due
 * tasks every poll interval (or at once when {@link #kick() kicked}), hands each one over (see
 * {@link HandOver}: traced, signed at hand-over time, sent to its tenant's worker) and marks it
 * dispatched; a refused task is marked failed and offered again after an exponential backoff. Because the execution and its task commit together, a task
 * committed before a crash is delivered by the next relay to run.
 *
 * <p>Hand-over is at least once: if the process dies after the queue accepted a task but before
 * it was marked dispatched, the task is enqueued again under the same name, which the queue drops
 * as a duplicate.
 */
public final class OutboxRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

  private final OutboxStore outbox;
  private final HandOver handOver;
  private final Clock clock;
  private final Duration pollInterval;
  private final Duration claimLease;
  private final int batchSize;
  private final Duration minRetryDelay;
  private final Duration maxRetryDelay;
  private final Map<String, CompletableFuture<HandOverOutcome>> waiters = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Thread thread;
  private boolean kicked; // guarded by lock
  private volatile boolean closed;

  private OutboxRelay(Builder b) {
    this.outbox = b.outbox;
    this.handOver = new HandOver(new HandOver.Route(b.queue, b.signature), b.routes, b.trace);
    this.clock = b.clock;
    this.pollInterval = b.pollInterval;
    this.claimLease = b.claimLease;
    this.batchSize = b.batchSize;
    this.minRetryDelay = b.minRetryDelay;
    this.maxRetryDelay = b.maxRetryDelay;
    this.thread = new Thread(this::run, "servo-outbox-relay");
    this.thread.setDaemon(true);
  }

  /**
   * A relay with default timing, not yet started.
   *
   * @param queue the queue tasks are handed to (the shared worker's)
   * @param signature signs each body with the key the worker verifies
   */
  public static Builder builder(OutboxStore outbox, TaskQueue queue, TaskSignature signature) {
    return new Builder(outbox, queue, signature);
  }

  /** Starts the background thread; it runs until {@link #close()}. */
  public void start() {
    thread.start();
  }

  /** Wakes the relay now instead of at its next poll. */
  public void kick() {
    lock.lock();
    try {
      kicked = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Asks for one just-committed task to be handed over now and waits at most {@code timeout} for
   * the outcome. Never throws: a task not handed over in time stays in the outbox for the relay.
   */
  public HandOverOutcome handOverNow(String tenant, String executionId, String taskName, Duration timeout) {
    CompletableFuture<HandOverOutcome> waiter = waiters.computeIfAbsent(taskName, k -> new CompletableFuture<>());
    try {
      // The relay may have taken the task on its own poll before we started waiting.
      try {
        if (outbox.pendingFor(tenant, executionId).isEmpty()) {
          return HandOverOutcome.DISPATCHED;
        }
      } catch (RuntimeException e) {
        log.warn("outbox relay: cannot look up the task of execution {}: {}", executionId, e.toString());
        return HandOverOutcome.PENDING;
      }
      kick();
      return waiter.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return HandOverOutcome.PENDING;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return HandOverOutcome.PENDING;
    } catch (ExecutionException e) {
      return HandOverOutcome.PENDING;
    } finally {
      waiters.remove(taskName, waiter);
    }
  }

  /** Stops the background thread, waiting briefly for a hand-over in progress. */
  @Override
  public void close() {
    closed = true;
    kick();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    Duration errorDelay = minRetryDelay;
    while (!closed) {
      int claimed;
      try {
        claimed = relayOnce();
        errorDelay = minRetryDelay;
      } catch (RuntimeException e) {
        // A database outage must not end the relay: log, back off, and keep going.
        log.warn("outbox relay: database error, retrying in {} ms: {}", errorDelay.toMillis(), e.toString());
        await(errorDelay);
        errorDelay = min(errorDelay.multipliedBy(2), maxRetryDelay);
        continue;
      }
      if (claimed < batchSize) {
        await(pollInterval);
      }
    }
  }

  /**
   * Claims one batch and hands each task over; returns how many were claimed. A task is handed over
   * only while at least a third of the claim remains, so one another relay may have claimed since
   * (when hand-overs were slow) is left to it: the queue would drop the duplicate by its name, but
   * only after a wasted call.
   */
  private int relayOnce() {
    Instant claimed = clock.instant();
    Instant handOverBy = claimed.plus(claimLease.multipliedBy(2).dividedBy(3));
    List<OutboxTask> tasks = outbox.claimDue(claimed, claimLease, batchSize);
    for (OutboxTask task : tasks) {
      if (closed) {
        break; // the claim lapses and another relay takes the task
      }
      if (clock.instant().isAfter(handOverBy)) {
        log.debug("outbox relay: the claim of this batch is running out; leaving {} and the rest to the next poll",
            task.taskName());
        break;
      }
      handOver(task);
    }
    return tasks.size();
  }

  private void handOver(OutboxTask task) {
    try {
      handOver.send(task.taskName(), task.payload());
    } catch (QueueException e) {
      refused(task, e.getMessage(), e.retryable());
      return;
    } catch (RuntimeException e) {
      // A queue client bug or outage must not stop the relay; treat it as a retryable refusal.
      refused(task, e.toString(), true);
      return;
    }
    // Waiters are told only after the outbox reflects the outcome: handOverNow registers its waiter
    // and then looks at the outbox, so whichever comes first it cannot miss the hand-over.
    try {
      outbox.markDispatched(task.id());
    } finally {
      complete(task.taskName(), HandOverOutcome.DISPATCHED);
    }
    log.debug("outbox relay: handed task {} to queue {}", task.taskName(), handOver.queueName());
  }

  private void refused(OutboxTask task, String message, boolean retryable) {
    Duration delay = retryDelay(task.attempts());
    String error = message == null ? "the queue refused the task" : message;
    log.warn("outbox relay: queue {} refused task {} ({}): {}; offering it again in {} ms",
        handOver.queueName(), task.taskName(), retryable ? "retryable" : "not retryable", error,
        delay.toMillis());
    try {
      outbox.markFailed(task.id(), error, clock.instant().plus(delay));
    } finally {
      complete(task.taskName(), retryable ? HandOverOutcome.PENDING : HandOverOutcome.refused(error));
    }
  }

  private void complete(String taskName, HandOverOutcome outcome) {
    CompletableFuture<HandOverOutcome> waiter = waiters.get(taskName);
    if (waiter != null) {
      waiter.complete(outcome);
    }
  }

  /** min · 2^(claims − 1), capped: claiming counts an attempt, so the first refusal waits min. */
  private Duration retryDelay(int claims) {
    Duration delay = minRetryDelay;
    for (int i = 1; i < claims && delay.compareTo(maxRetryDelay) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return min(delay, maxRetryDelay);
  }

  private void await(Duration timeout) {
    lock.lock();
    try {
      long nanos = timeout.toNanos();
      while (!kicked && !closed && nanos > 0) {
        nanos = wake.awaitNanos(nanos);
      }
      kicked = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Timing of an {@link OutboxRelay}; the defaults suit production. */
  public static final class Builder {
    private final OutboxStore outbox;
    private final TaskQueue queue;
    private final TaskSignature signature;
    private Clock clock = Clock.systemUTC();
    private HandOverTrace trace = HandOverTrace.NONE;
    private final Map<String, HandOver.Route> routes = new HashMap<>();
    private Duration pollInterval = Duration.ofMillis(250);
    private Duration claimLease = Duration.ofSeconds(15);
    private int batchSize = 50;
    private Duration minRetryDelay = Duration.ofSeconds(1);
    private Duration maxRetryDelay = Duration.ofMinutes(5);

    private Builder(OutboxStore outbox, TaskQueue queue, TaskSignature signature) {
      this.outbox = Objects.requireNonNull(outbox, "outbox");
      this.queue = Objects.requireNonNull(queue, "queue");
      this.signature = Objects.requireNonNull(signature, "signature");
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /**
     * Sends {@code tenant}'s tasks to {@code queue} (which delivers to the tenant's own worker)
     * signed with {@code signature}, that worker's key, instead of the shared queue and key.
     */
    public Builder route(String tenant, TaskQueue queue, TaskSignature signature) {
      routes.put(Objects.requireNonNull(tenant, "tenant"), new HandOver.Route(
          Objects.requireNonNull(queue, "queue"), Objects.requireNonNull(signature, "signature")));
      return this;
    }

    /** The producer span of each hand-over and the context it sends; tracing installs one. */
    public Builder trace(HandOverTrace value) {
      this.trace = Objects.requireNonNull(value, "trace");
      return this;
    }

    /** How often the outbox is polled when nobody kicks; default 250 ms. */
    public Builder pollInterval(Duration value) {
      this.pollInterval = positive(value, "pollInterval");
      return this;
    }

    /**
     * How long a claimed task is hidden from other relays; default 15 s. It is also how long tasks a
     * relay had claimed wait when its process dies, before another relay hands them over.
     */
    public Builder claimLease(Duration value) {
      this.claimLease = positive(value, "claimLease");
      return this;
    }

    /** Tasks claimed at once; default 50. */
    public Builder batchSize(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, was " + value);
      }
      this.batchSize = value;
      return this;
    }

    /** Delay after the first refusal (and after a database error); default 1 s. */
    public Builder minRetryDelay(Duration value) {
      this.minRetryDelay = positive(value, "minRetryDelay");
      return this;
    }

    /** Cap of the exponential delay; default 5 min. */
    public Builder maxRetryDelay(Duration value) {
      this.maxRetryDelay = positive(value, "maxRetryDelay");
      return this;
    }

    public OutboxRelay build() {
      if (minRetryDelay.compareTo(maxRetryDelay) > 0) {
        throw new IllegalArgumentException("minRetryDelay must not exceed maxRetryDelay");
      }
      return new OutboxRelay(this);
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
