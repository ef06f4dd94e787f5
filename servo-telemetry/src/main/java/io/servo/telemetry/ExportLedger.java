package io.servo.telemetry;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The spans of one exporter between their end and the end of their export: it bounds them, counts
 * those that did not fit, and tells a flush whether the spans that ended before it have gone out.
 *
 * <p>The bound: at most {@code capacity} sampled spans may be waiting for or in an export at once
 * (the batch processor's queue is given the same capacity, so it never overflows on its own); a span
 * beyond that is dropped and counted as queue overflow in {@link DroppedSpans}. Counting here rather
 * than reading the SDK's "spans processed" metric keeps a meter provider, and its start-up cost, out
 * of every service.
 *
 * <p>The flush: the SDK's {@code BatchSpanProcessor.forceFlush()} cannot tell that the spans ended
 * before it were exported. A flush requested while another is under way is answered by the one under
 * way, which took its count of queued spans before the later caller's spans arrived. Several requests
 * flushing before their responses at once (Cloud Run sends up to 80 at a time to one instance) each
 * got that early answer; their spans then waited for the next schedule, on an instance whose CPU is
 * throttled between requests. {@link #handedOver()} and {@link #settled()} let the caller check.
 */
final class ExportLedger {

  private final long capacity;
  private final DroppedSpans droppedSpans;
  private final AtomicLong inFlight = new AtomicLong();
  private final LongAdder handedOver = new LongAdder();
  private final LongAdder settled = new LongAdder();

  ExportLedger(long capacity, DroppedSpans droppedSpans) {
    this.capacity = capacity;
    this.droppedSpans = droppedSpans;
  }

  /** Spans handed to the batch processor so far. */
  long handedOver() {
    return handedOver.sum();
  }

  /** Spans whose export ended so far, successfully or not. */
  long settled() {
    return settled.sum();
  }

  /** Spans waiting for or in an export right now. */
  long inFlight() {
    return inFlight.get();
  }

  /** Records the end of an export of {@code spans} spans. */
  void settled(int spans) {
    settled.add(spans);
    inFlight.addAndGet(-spans);
  }

  private boolean reserve() {
    while (true) {
      long current = inFlight.get();
      if (current >= capacity) {
        return false;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** Wraps this exporter's batch processor, so that the sampled spans it is given go through here. */
  SpanProcessor counting(SpanProcessor batchProcessor) {
    return new Counting(batchProcessor);
  }

  private final class Counting implements SpanProcessor {
    private final SpanProcessor delegate;

    Counting(SpanProcessor delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
      delegate.onStart(parentContext, span);
    }

    @Override
    public boolean isStartRequired() {
      return delegate.isStartRequired();
    }

    @Override
    public void onEnd(ReadableSpan span) {
      if (!span.getSpanContext().isSampled()) {
        return;
      }
      if (!reserve()) {
        droppedSpans.queueOverflowed();
        return;
      }
      handedOver.increment();
      delegate.onEnd(span);
    }

    @Override
    public boolean isEndRequired() {
      return true;
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }

    @Override
    public CompletableResultCode forceFlush() {
      return delegate.forceFlush();
    }

    @Override
    public String toString() {
      return "ExportLedger.Counting{capacity=" + capacity + ", " + delegate + "}";
    }
  }
}
