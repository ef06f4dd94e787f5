package io.servo.telemetry.keep;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * The light record of one service's part of an unsampled trace, kept in case the trace must be
 * exported after all ({@link TraceKeep}): for each structural span only its name, kind, parent,
 * start and end, and whatever the instrumentation chose to note when it ended. No SDK span is made
 * and no attribute is extracted while the work runs; the spans are built ({@link #toSpans}) only
 * when the trace is kept, which for a service running at 1% is a small share of its executions.
 *
 * <p>Parts nest like spans: {@link #open} makes the new part the parent of parts opened after it on
 * the same thread until it is closed; {@link #openUnder} does not (a part opened on another thread,
 * like a hand-over on the relay's). Statements beneath the current part are noted only when they
 * fail, or always when the skeleton was made with {@code allStatements} (a handful per request in
 * the orchestrator). Thread-safe.
 */
public final class TraceSkeleton {
  private static final ContextKey<TraceSkeleton> KEY = ContextKey.named("servo-trace-skeleton");
  /** What a skeleton costs beyond its parts, and what each part costs, in bytes (see docs/performance.md). */
  static final int BASE_BYTES = 160;
  static final int PART_BYTES = 128;

  /** What a part became when it ended: its name may depend on what ran (a statement's summary). */
  public interface Detail {
    String name();

    Attributes attributes();

    /** Unset unless it failed. */
    default StatusData status() {
      return StatusData.unset();
    }

    /** Its events (none by default); {@code endEpochNanos} is when the part ended (when a failure was seen). */
    default List<EventData> events(long endEpochNanos) {
      return List.of();
    }
  }

  private static final class Part {
    final int parent;
    final String spanId;
    final String name;
    final SpanKind kind;
    final long startNanoTime;
    long endNanoTime = Long.MIN_VALUE;
    Attributes attributes = Attributes.empty();
    StatusData status = StatusData.unset();
    List<EventData> events = List.of();
    Detail detail;

    Part(int parent, String spanId, String name, SpanKind kind, long startNanoTime) {
      this.parent = parent;
      this.spanId = spanId;
      this.name = name;
      this.kind = kind;
      this.startNanoTime = startNanoTime;
    }
  }

  private final String traceId;
  private final String rootParentSpanId;
  private final boolean allStatements;
  private final long anchorEpochNanos;
  private final long anchorNanoTime;
  private final List<Part> parts = new ArrayList<>(6);
  private int current = -1;
  private LongConsumer growth; // guarded by this
  private volatile String keptReason;
  private volatile boolean abandoned;

  /**
   * @param traceId the trace the parts belong to
   * @param rootParentSpanId the parent of the first part, from another service (invalid for a root)
   * @param allStatements whether every statement is noted, not only failed ones
   */
  public TraceSkeleton(String traceId, String rootParentSpanId, boolean allStatements) {
    this.traceId = Objects.requireNonNull(traceId, "traceId");
    this.rootParentSpanId = Objects.requireNonNull(rootParentSpanId, "rootParentSpanId");
    this.allStatements = allStatements;
    Instant now = Instant.now();
    this.anchorNanoTime = System.nanoTime();
    this.anchorEpochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** The skeleton of the work {@code context} belongs to, or null when its trace is not being noted. */
  public static TraceSkeleton fromContext(Context context) {
    return context.get(KEY);
  }

  /** The skeleton of the current work, or null. */
  public static TraceSkeleton current() {
    return Context.current().get(KEY);
  }

  /** {@code context} with this skeleton, for the work beneath. */
  public Context storeIn(Context context) {
    return context.with(KEY, this);
  }

  public String traceId() {
    return traceId;
  }

  /**
   * Opens a part beneath the current one (the first part's parent is the root parent), which becomes
   * current on this thread's work until it is closed.
   *
   * @param spanId the span id the part must have (one another service already saw), or null for one
   *     drawn when the trace is kept
   * @return the part's index, for {@link #close}
   */
  public int open(String name, SpanKind kind, String spanId) {
    return opened(-1, name, kind, spanId, true);
  }

  /** Opens a part beneath {@code parent} without making it current (another thread's work). */
  public int openUnder(int parent, String name, SpanKind kind, String spanId) {
    return opened(parent, name, kind, spanId, false);
  }

  /**
   * Adds a part beneath {@code parent}, or beneath the current part when {@code becomesCurrent}
   * (it then becomes current), and tells the budget; -1 once the skeleton is abandoned.
   */
  private int opened(int parent, String name, SpanKind kind, String spanId, boolean becomesCurrent) {
    int index;
    LongConsumer charge;
    synchronized (this) {
      if (abandoned) {
        return -1;
      }
      index = add(becomesCurrent ? current : parent, name, kind, spanId);
      if (becomesCurrent) {
        current = index;
      }
      charge = growth;
    }
    grew(charge);
    return index;
  }

  private int add(int parent, String name, SpanKind kind, String spanId) {
    parts.add(new Part(parent, spanId, name, kind, System.nanoTime()));
    return parts.size() - 1;
  }

  /**
   * From now on, each part added is told to {@code budget} as the bytes it adds to {@link #bytes()},
   * on the thread that added it and outside this skeleton's lock (so the budget may take a lock of
   * its own and read {@link #bytes()}); returns {@link #bytes()} as it is when that starts, so the
   * budget charged that plus what it is told is never less than {@link #bytes()}. A skeleton held
   * while its work goes on grows after it was held: statements, a hand-over.
   */
  public synchronized long chargeGrowthTo(LongConsumer budget) {
    growth = Objects.requireNonNull(budget, "budget");
    return bytes();
  }

  private static void grew(LongConsumer charge) {
    if (charge != null) {
      charge.accept(PART_BYTES);
    }
  }

  /** Closes part {@code index} now with what is known of it. */
  public synchronized void close(int index, Attributes attributes, StatusData status, List<EventData> events) {
    if (index < 0) {
      return; // opened after the skeleton was abandoned
    }
    Part part = parts.get(index);
    part.endNanoTime = System.nanoTime();
    part.attributes = attributes;
    part.status = status;
    part.events = events;
    if (current == index) {
      current = part.parent;
    }
  }

  /** Closes part {@code index} now; what it became is worked out only if the trace is kept. */
  public synchronized void close(int index, Detail detail) {
    if (index < 0) {
      return; // opened after the skeleton was abandoned
    }
    Part part = parts.get(index);
    part.endNanoTime = System.nanoTime();
    part.detail = detail;
    if (current == index) {
      current = part.parent;
    }
  }

  /** The index of the part now current, or -1. */
  public synchronized int currentPart() {
    return current;
  }

  /** Whether a statement that succeeded is noted too. */
  public boolean notesEveryStatement() {
    return allStatements;
  }

  /**
   * Notes a statement that ran beneath the current part from {@code startNanoTime} to now; its name
   * and attributes are computed only if the trace is kept.
   */
  public void statement(long startNanoTime, Detail detail) {
    LongConsumer charge;
    synchronized (this) {
      if (abandoned) {
        return;
      }
      Part part = new Part(current, null, null, SpanKind.CLIENT, startNanoTime);
      part.endNanoTime = System.nanoTime();
      part.detail = detail;
      parts.add(part);
      charge = growth;
    }
    grew(charge);
  }

  /** Marks the trace kept, for {@code reason} ({@code error} or {@code slow}); ignored once abandoned. */
  public void keep(String reason) {
    keptReason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the trace is kept, or null while it is not (and always once it is abandoned). */
  public String keptReason() {
    return abandoned ? null : keptReason;
  }

  /**
   * Gives this skeleton up (its memory budget refused a part): it notes nothing more, and the trace
   * will not be kept, so no execution records a kept trace that nobody can export whole.
   */
  public void abandon() {
    abandoned = true;
  }

  /** Whether {@link #abandon} gave this skeleton up. */
  public boolean abandoned() {
    return abandoned;
  }

  /** About how many bytes this skeleton holds on the heap. */
  public synchronized long bytes() {
    return BASE_BYTES + (long) PART_BYTES * parts.size();
  }

  /**
   * The spans of the parts, sampled, each with {@code servo.trace.kept} = {@code reason}; a part
   * still open ends where it is now.
   */
  public synchronized List<KeptSpan> toSpans(String reason, Resource resource, String scope, IdGenerator ids) {
    String[] spanIds = new String[parts.size()];
    for (int i = 0; i < parts.size(); i++) {
      String given = parts.get(i).spanId;
      spanIds[i] = given != null ? given : ids.generateSpanId();
    }
    long now = System.nanoTime();
    List<KeptSpan> spans = new ArrayList<>(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      Part part = parts.get(i);
      String parentId = part.parent >= 0 ? spanIds[part.parent] : rootParentSpanId;
      SpanContext parent = SpanId.isValid(parentId)
          ? SpanContext.create(traceId, parentId, TraceFlags.getSampled(), TraceState.getDefault())
          : SpanContext.getInvalid();
      long end = part.endNanoTime == Long.MIN_VALUE ? now : part.endNanoTime;
      String name = part.detail != null ? part.detail.name() : part.name;
      Attributes attributes = part.detail != null ? part.detail.attributes() : part.attributes;
      StatusData status = part.detail != null ? part.detail.status() : part.status;
      List<EventData> events = part.detail != null ? part.detail.events(epochNanos(end)) : part.events;
      AttributesBuilder withReason = attributes.toBuilder().put(TraceKeep.KEPT, reason);
      spans.add(new KeptSpan(
          SpanContext.create(traceId, spanIds[i], TraceFlags.getSampled(), TraceState.getDefault()),
          parent, name, part.kind, scope, epochNanos(part.startNanoTime), epochNanos(end),
          withReason.build(), status, events, resource));
    }
    return spans;
  }

  private long epochNanos(long nanoTime) {
    return anchorEpochNanos + (nanoTime - anchorNanoTime);
  }
}
