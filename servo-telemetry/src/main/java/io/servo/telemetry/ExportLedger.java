package io.servo.telemetry;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the sampled spans handed to the batch processors and the spans whose export has ended
 * (exported, or failed and counted as dropped), so that a flush can tell whether the spans that
 * ended before it have gone out.
 *
 * <p>The SDK's {@code BatchSpanProcessor.forceFlush()} cannot tell that: a flush requested while
 * another is under way is answered by the one under way, which took its count of queued spans
 * before the later caller's spans arrived. Several requests flushing before their responses at once
 * (Cloud Run sends up to 80 at a time to one instance) each got that early answer; their spans then
 * waited for the next schedule, on an instance whose CPU is throttled between requests.
 */
final class ExportLedger {

  private final LongAdder handedOver = new LongAdder();
  private final LongAdder settled = new LongAdder();

  /** Spans handed to a batch processor so far. */
  long handedOver() {
    return handedOver.sum();
  }

  /** Spans whose export ended so far, successfully or not. */
  long settled() {
    return settled.sum();
  }

  /** Records the end of an export of {@code spans} spans. */
  void settled(int spans) {
    settled.add(spans);
  }

  /** Wraps a batch processor so that the sampled spans it is given are counted first. */
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
      if (span.getSpanContext().isSampled()) {
        handedOver.increment();
      }
      delegate.onEnd(span);
    }

    @Override
    public boolean isEndRequired() {
      return delegate.isEndRequired();
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
    public void close() {
      delegate.close();
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
