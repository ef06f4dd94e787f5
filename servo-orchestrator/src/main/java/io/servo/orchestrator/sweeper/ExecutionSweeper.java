package io.servo.orchestrator.sweeper;

import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.orchestrator.execution.TaskNames;
import io.servo.orchestrator.execution.TaskPayloads;
import io.servo.storage.Execution;
import io.servo.storage.ServoStorage;
import io.servo.storage.StoredWorkflow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds executions that nothing will move forward any more and puts a new task for each into the
 * outbox, which the relay hands to the queue like any other:
 *
 * <ul>
 *   <li>running executions whose lease expired (their worker died) or that hold none (it gave the
 *       claim back), still so {@linkplain Builder#stuckAfter stuckAfter} after the lease ended —
 *       normally the queue's own retry takes them over long before that, but a queue that gave up
 *       or lost the task never will;
 *   <li>pending executions created more than {@linkplain Builder#pendingAfter pendingAfter} ago
 *       whose task left the outbox but was never claimed (a queue lost it, e.g. the in-memory local
 *       queue of a process that died), where a {@link PendingWithoutTask} query is available.
 * </ul>
 *
 * <p>The new task carries the execution's deployed definition (the same version, rebuilt from the
 * workflow store) under a name never used before ({@link TaskNames#forRedelivery}), so no queue
 * drops it as a duplicate. Re-enqueueing is safe at any time: a delivery claims the execution only
 * if nobody else holds it, resumes it without re-running assets that succeeded, and a delivery for
 * an ended execution changes nothing. An execution with a task still in the outbox is left alone,
 * and is not re-enqueued until {@code stuckAfter} after its task was last seen there or was added.
 */
public final class ExecutionSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExecutionSweeper.class);

  private final ServoStorage storage;
  private final Clock clock;
  private final Duration interval;
  private final Duration stuckAfter;
  private final Duration pendingAfter;
  private final int batchSize;
  private final PendingWithoutTask pendingWithoutTask;
  private final RedeliveryTrace trace;
  private final LostAttemptSpans lostAttemptSpans;
  private final Runnable afterEnqueue;
  private final ScheduledExecutorService scheduler;
  /** When this sweeper first saw a claim-less running execution (keyed by id and attempt). */
  private final Map<String, Instant> releasedSince = new HashMap<>();
  /** When this sweeper last re-enqueued an execution (keyed by id and attempt). */
  private final Map<String, Instant> requeuedAt = new HashMap<>();
  private boolean started;

  private ExecutionSweeper(Builder b) {
    this.storage = b.storage;
    this.clock = b.clock;
    this.interval = b.interval;
    this.stuckAfter = b.stuckAfter;
    this.pendingAfter = b.pendingAfter;
    this.batchSize = b.batchSize;
    this.pendingWithoutTask = b.pendingWithoutTask;
    this.trace = b.trace;
    this.lostAttemptSpans = b.lostAttemptSpans;
    this.afterEnqueue = b.afterEnqueue;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "servo-execution-sweeper");
      t.setDaemon(true);
      return t;
    });
  }

  /** A sweeper over {@code storage} with the default timing, not yet started. */
  public static Builder builder(ServoStorage storage) {
    return new Builder(storage);
  }

  /** Sweeps every {@linkplain Builder#interval interval} on a daemon thread until {@link #close()}. */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("start() may be called once");
    }
    started = true;
    long period = interval.toMillis();
    scheduler.scheduleWithFixedDelay(this::sweepQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * One sweep now, on the caller's thread.
   *
   * @return how many executions were re-enqueued
   * @throws io.servo.storage.StorageException when Servo's database fails; the background sweep
   *     logs it and tries again at the next interval
   */
  public synchronized int sweepOnce() {
    Instant now = clock.instant();
    int requeued = 0;
    Set<String> released = new HashSet<>();
    for (Execution e : storage.executions().expiredLeases(now, batchSize)) {
      Instant stuckSince = e.leaseUntil();
      if (stuckSince == null) {
        // A released claim has no end time: measure from when this sweeper first saw it.
        released.add(key(e));
        stuckSince = releasedSince.computeIfAbsent(key(e), k -> now);
      }
      if (!now.isBefore(stuckSince.plus(stuckAfter)) && requeue(e, StuckReason.LEASE_EXPIRED, now)) {
        requeued++;
      }
    }
    releasedSince.keySet().retainAll(released);
    for (Execution e : pendingWithoutTask.find(now.minus(pendingAfter), batchSize)) {
      if (requeue(e, StuckReason.PENDING_WITHOUT_TASK, now)) {
        requeued++;
      }
    }
    // A re-enqueue older than stuckAfter no longer holds anything back; forget it.
    requeuedAt.values().removeIf(at -> !now.isBefore(at.plus(stuckAfter)));
    if (requeued > 0) {
      afterEnqueue.run();
    }
    return requeued;
  }

  /** Stops the background sweep, waiting briefly for one in progress. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sweepQuietly() {
    try {
      sweepOnce();
    } catch (RuntimeException e) {
      // A database outage must not end the sweeper: the next interval tries again.
      log.warn("execution sweeper: sweep failed, trying again in {} ms: {}", interval.toMillis(), e.toString());
    }
  }

  private boolean requeue(Execution e, StuckReason reason, Instant now) {
    String key = key(e);
    Instant last = requeuedAt.get(key);
    if (last != null && now.isBefore(last.plus(stuckAfter))) {
      return false; // give the task added last time a chance first
    }
    if (storage.outbox().pendingFor(e.tenant(), e.id()).isPresent()) {
      // A task is on its way already; once the queue has it, give it stuckAfter to arrive.
      requeuedAt.put(key, now);
      return false;
    }
    Optional<StoredWorkflow> workflow = storage.workflows().version(e.tenant(), e.workflow(), e.workflowVersion());
    if (workflow.isEmpty()) {
      log.error("execution sweeper: execution {} of {} is stuck ({}) but workflow {} v{} is gone;"
          + " it cannot be re-enqueued", e.id(), e.tenant(), reason.id(), e.workflow(), e.workflowVersion());
      requeuedAt.put(key, now); // do not log this every sweep
      return false;
    }
    TaskPayload payload = TaskPayloads.forExecution(e.id(), workflow.get(), now, trace.contextFor(e, reason));
    String taskName = TaskNames.forRedelivery(e.id(), now);
    storage.outbox().add(e.tenant(), e.id(), taskName, TaskPayloadCodec.encode(payload));
    requeuedAt.put(key, now);
    log.warn("execution sweeper: execution {} of {}/{} was stuck ({}, state {}, attempt {}); re-enqueued as task {}",
        e.id(), e.tenant(), e.workflow(), reason.id(), e.state().wireName(), e.attempt(), taskName);
    if (reason == StuckReason.LEASE_EXPIRED && e.leaseUntil() != null) {
      endLostAttemptSpans(e, now);
    }
    return true;
  }

  /** The dead worker's open spans end now rather than whenever (if ever) a worker claims the execution. */
  private void endLostAttemptSpans(Execution e, Instant now) {
    if (lostAttemptSpans == LostAttemptSpans.NONE) {
      return;
    }
    try {
      storage.executions().takeLostAttempt(e.tenant(), e.id(), e.attempt())
          .ifPresent(lost -> lostAttemptSpans.end(e, lost, now));
    } catch (RuntimeException ex) {
      // The task is in the outbox already; the claim of its delivery ends the spans instead.
      log.warn("execution sweeper: could not take the open spans of execution {} attempt {}: {}", e.id(),
          e.attempt(), ex.toString());
    }
  }

  private static String key(Execution e) {
    return e.id() + "#" + e.attempt();
  }

  /** Timing and sources of an {@link ExecutionSweeper}; the defaults suit production. */
  public static final class Builder {
    private final ServoStorage storage;
    private Clock clock = Clock.systemUTC();
    private Duration interval = Duration.ofSeconds(15);
    private Duration stuckAfter = Duration.ofSeconds(60);
    private Duration pendingAfter = Duration.ofMinutes(5);
    private int batchSize = 100;
    private PendingWithoutTask pendingWithoutTask = PendingWithoutTask.NONE;
    private RedeliveryTrace trace = RedeliveryTrace.NONE;
    private LostAttemptSpans lostAttemptSpans = LostAttemptSpans.NONE;
    private Runnable afterEnqueue = () -> {};

    private Builder(ServoStorage storage) {
      this.storage = Objects.requireNonNull(storage, "storage");
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /** Time between two sweeps; default 15 s. */
    public Builder interval(Duration value) {
      this.interval = positive(value, "interval");
      return this;
    }

    /**
     * How long a running execution stays without a live lease before it is re-enqueued, and how
     * long a re-enqueued one is given before it is re-enqueued again; default 60 s. Long enough
     * for the queue's own retry (503 {@code Retry-After: 5} after a released claim) to come first.
     */
    public Builder stuckAfter(Duration value) {
      this.stuckAfter = positive(value, "stuckAfter");
      return this;
    }

    /**
     * How old a pending execution without an outbox task must be before it is re-enqueued; default
     * 5 min. A queue retrying a worker that is down holds such tasks legitimately for minutes; a
     * second task then only means a second delivery, which changes nothing.
     */
    public Builder pendingAfter(Duration value) {
      this.pendingAfter = positive(value, "pendingAfter");
      return this;
    }

    /** Executions looked at per kind per sweep; default 100. */
    public Builder batchSize(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, was " + value);
      }
      this.batchSize = value;
      return this;
    }

    /** Where pending executions whose task was lost are found; default {@link PendingWithoutTask#NONE}. */
    public Builder pendingWithoutTask(PendingWithoutTask value) {
      this.pendingWithoutTask = Objects.requireNonNull(value, "pendingWithoutTask");
      return this;
    }

    /** The trace context of a re-enqueued task; tracing installs one. */
    public Builder redeliveryTrace(RedeliveryTrace value) {
      this.trace = Objects.requireNonNull(value, "redeliveryTrace");
      return this;
    }

    /** Ends a dead worker's open spans when its execution is re-enqueued; tracing installs one. */
    public Builder lostAttemptSpans(LostAttemptSpans value) {
      this.lostAttemptSpans = Objects.requireNonNull(value, "lostAttemptSpans");
      return this;
    }

    /** Run after a sweep added tasks (the orchestrator kicks its relay). */
    public Builder afterEnqueue(Runnable value) {
      this.afterEnqueue = Objects.requireNonNull(value, "afterEnqueue");
      return this;
    }

    public ExecutionSweeper build() {
      return new ExecutionSweeper(this);
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
