package io.servo.orchestrator.tracing;

import io.opentelemetry.sdk.trace.ReadableSpan;
import io.servo.storage.ExecutionStore;
import io.servo.storage.KeptTraceState;
import io.servo.telemetry.keep.KeptSpan;
import io.servo.telemetry.keep.KeptSpanCodec;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.keep.TraceSkeleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's side of retroactive keep. The orchestrator part of an unsampled execution's
 * trace (its API request, the enqueue with its statements, the hand-over) is noted in a {@link
 * TraceSkeleton} and held here, in memory, until the execution ends. The worker that ends it decides
 * whether the trace is kept (failed, timed out, slow), records that with the execution's end and
 * then writes its own part, redacted, into the execution's row. A background thread asks the
 * database about the executions held here once a poll interval: an ended execution that was not
 * kept is forgotten; a kept one is exported whole, this part and the worker's together, then its
 * worker part is cleared from the row.
 *
 * <p>Whole or absent: only the orchestrator that holds the first part exports, and only with the
 * worker's part in hand. A skeleton evicted for memory ({@code SERVO_TRACE_KEEP_BUFFER_BYTES}, oldest
 * first), a worker part that never arrives ({@link #WORKER_PART_GRACE} after the end), or the cap
 * per minute ({@code SERVO_TRACE_KEEP_PER_MINUTE}) leaves the trace out entirely, counted. The
 * database is the only state shared with the workers and the other orchestrator instances.
 */
public final class KeptTraces implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeptTraces.class);
  /** How long after an execution ended its worker's part may still arrive. */
  static final Duration WORKER_PART_GRACE = Duration.ofMinutes(1);
  /** Executions asked about per statement. */
  private static final int CHUNK = 500;
  /** What a held entry costs beyond its skeleton's parts (map entry, key, execution id, the launch). */
  static final long ENTRY_BYTES = 240;

  /** Holds nothing; for a service that does not keep. */
  public static final KeptTraces NONE = new KeptTraces(TraceKeep.DISABLED, null, Duration.ofSeconds(1),
      Clock.systemUTC());

  /**
   * A held skeleton, by its trace id; {@code handOverParent} is the part a hand-over's part goes
   * beneath; {@code executionId} is set once the launch committed (null before); {@code bytes} is
   * what the budget is charged for it now, which grows with the skeleton.
   */
  static final class Held {
    private final TraceSkeleton skeleton;
    private long bytes; // guarded by the KeptTraces
    private final int handOverParent;
    private volatile String executionId;

    Held(TraceSkeleton skeleton, int handOverParent) {
      this.skeleton = skeleton;
      this.handOverParent = handOverParent;
    }

    TraceSkeleton skeleton() {
      return skeleton;
    }

    int handOverParent() {
      return handOverParent;
    }
  }

  private final TraceKeep keep;
  private final ExecutionStore store;
  private final Duration pollInterval;
  private final Clock clock;
  private final LinkedHashMap<String, Held> held = new LinkedHashMap<>(); // guarded by this
  private long heldBytes; // guarded by this
  private final AtomicLong incomplete = new AtomicLong();
  private final Thread poller;
  private volatile boolean closed;

  KeptTraces(TraceKeep keep, ExecutionStore store, Duration pollInterval, Clock clock) {
    this.keep = keep;
    this.store = store;
    this.pollInterval = pollInterval;
    this.clock = clock;
    this.poller = new Thread(this::run, "servo-kept-traces");
    this.poller.setDaemon(true);
  }

  /** Whether anything is held at all. */
  public boolean enabled() {
    return keep.enabled() && store != null;
  }

  /** Starts the background thread that exports kept traces. */
  public void start() {
    if (enabled()) {
      poller.start();
    }
  }

  /**
   * Holds the skeleton of an unsampled launch's orchestrator part, by trace id, before the launch
   * commits (the relay may hand the task over at once); {@link #bind} then names its execution, and
   * it is held until that execution ends.
   */
  void hold(TraceSkeleton skeleton, int handOverParent) {
    if (!enabled()) {
      return;
    }
    String traceId = skeleton.traceId();
    Held entry = new Held(skeleton, handOverParent);
    synchronized (this) {
      // Charged as it is now, and then for each part it gains (the launch's statements, the
      // hand-over): the skeleton about doubles after this point.
      entry.bytes = skeleton.chargeGrowthTo(grown -> grew(traceId, entry, grown)) + ENTRY_BYTES;
      Held previous = held.remove(traceId);
      if (previous != null) {
        heldBytes -= previous.bytes;
      }
      held.put(traceId, entry);
      heldBytes += entry.bytes;
      withinBudget();
    }
  }

  /** {@code entry}, held for {@code traceId}, grew by {@code bytes}: charged as a new hold is. */
  private synchronized void grew(String traceId, Held entry, long bytes) {
    if (held.get(traceId) != entry) {
      return; // given up or forgotten meanwhile
    }
    entry.bytes += bytes;
    heldBytes += bytes;
    withinBudget();
  }

  /**
   * Gives up held skeletons, oldest first, until what is held fits the budget, each counted; the
   * longest-running executions are the ones given up for room (the one that grew, if it is the
   * oldest; a new one only if it alone is over the budget).
   */
  private void withinBudget() { // guarded by this
    long budget = keep.config().bufferBytes();
    Iterator<Map.Entry<String, Held>> oldest = held.entrySet().iterator();
    while (heldBytes > budget && oldest.hasNext()) {
      heldBytes -= oldest.next().getValue().bytes;
      oldest.remove();
      keep.evicted();
    }
  }

  /** The launch of the skeleton held for {@code traceId} committed {@code executionId}. */
  void bind(String traceId, String executionId) {
    Held h = held(traceId);
    if (h != null) {
      h.executionId = executionId;
    }
  }

  /** Forgets what is held for {@code traceId} (its launch started nothing). */
  void drop(String traceId) {
    forget(traceId);
  }

  /** What is held for {@code traceId}, or null. */
  synchronized Held held(String traceId) {
    return held.get(traceId);
  }

  /** Bytes held now (an estimate from the skeletons' parts; see docs/performance.md). */
  public synchronized long heldBytes() {
    return heldBytes;
  }

  /** Executions held now. */
  public synchronized int heldExecutions() {
    return held.size();
  }

  /** Kept traces given up because the worker's part never arrived. */
  public long incompleteTraces() {
    return incomplete.get();
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(pollInterval.toMillis());
        pollOnce();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // Servo's database is down, say: the executions stay held (within the budget) until it is back.
        log.warn("kept traces: could not read ended executions ({}); trying again", e.getClass().getSimpleName());
      }
    }
  }

  /** Asks the database about every held execution once, and exports or forgets the ended ones. */
  void pollOnce() {
    Map<String, String> traces = new java.util.HashMap<>();
    synchronized (this) {
      for (Map.Entry<String, Held> entry : held.entrySet()) {
        String executionId = entry.getValue().executionId;
        if (executionId != null) {
          traces.put(executionId, entry.getKey());
        }
      }
    }
    List<String> ids = new ArrayList<>(traces.keySet());
    for (int from = 0; from < ids.size(); from += CHUNK) {
      for (KeptTraceState state : store.endedOf(ids.subList(from, Math.min(ids.size(), from + CHUNK)))) {
        settle(traces.get(state.executionId()), state);
      }
    }
  }

  private void settle(String traceId, KeptTraceState state) {
    if (state.traceKept() != null && state.keptSpans() == null) {
      Instant end = state.endedAt() == null ? clock.instant() : state.endedAt();
      if (clock.instant().isBefore(end.plus(WORKER_PART_GRACE))) {
        return; // the worker writes its part right after it answers
      }
      forget(traceId);
      incomplete.incrementAndGet();
      log.warn("execution {}: its trace was kept but the worker's part never arrived; not exported",
          state.executionId());
      return;
    }
    Held h = forget(traceId);
    if (h == null || state.traceKept() == null) {
      return;
    }
    // The worker's part is read once and leaves the row whatever happens to it next.
    List<KeptSpan> worker;
    try {
      worker = KeptSpanCodec.decode(state.keptSpans());
    } catch (IllegalArgumentException e) {
      incomplete.incrementAndGet();
      log.warn("execution {}: the worker's part of its kept trace is unreadable ({}); not exported",
          state.executionId(), e.getMessage());
      store.clearKeptSpans(state.executionId());
      return;
    }
    store.clearKeptSpans(state.executionId());
    if (!keep.admit()) {
      return; // counted and reported by the cap
    }
    List<ReadableSpan> spans = new ArrayList<>(h.skeleton().toSpans(state.traceKept(), keep.resource(),
        ServoSpans.INSTRUMENTATION_NAME, keep.ids()));
    spans.addAll(worker);
    keep.export(spans);
  }

  private synchronized Held forget(String traceId) {
    Held h = held.remove(traceId);
    if (h != null) {
      heldBytes -= h.bytes;
    }
    return h;
  }

  /** Stops the thread; what is held is lost (executions still running keep no trace). */
  @Override
  public void close() {
    closed = true;
    poller.interrupt();
    if (poller.isAlive()) {
      try {
        poller.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (enabled()) {
      try {
        pollOnce(); // what ended meanwhile is exported now rather than lost
      } catch (RuntimeException e) {
        log.debug("kept traces: last poll at shutdown failed", e);
      }
    }
    keep.report(true);
  }
}
