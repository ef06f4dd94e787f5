package io.servo.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/**
 * Records the end of every export in the {@link ExportLedger}, counts the spans of every export
 * that fails (the backend refused the batch, could not be reached, did not answer in time, or the
 * exporter threw) in {@link DroppedSpans}, and gives the drop report a chance to run on the export
 * thread, so it needs no thread of its own.
 *
 * <p>An exporter that throws is answered with a failed result instead: the batch processor would
 * otherwise log every such export through java.util.logging, which Servo turns off.
 */
final class DropReportingSpanExporter implements SpanExporter {

  private final SpanExporter delegate;
  private final DroppedSpans droppedSpans;
  private final ExportLedger ledger;

  DropReportingSpanExporter(SpanExporter delegate, DroppedSpans droppedSpans, ExportLedger ledger) {
    this.delegate = delegate;
    this.droppedSpans = droppedSpans;
    this.ledger = ledger;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    droppedSpans.report(false);
    int size = spans.size();
    CompletableResultCode result;
    try {
      result = delegate.export(spans);
    } catch (RuntimeException e) {
      failed(size, e);
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    if (result == null) {
      failed(size, null);
      return CompletableResultCode.ofFailure();
    }
    // The batch processor (and a flush waiting on it) sees the export end only once the loss is
    // counted and the ledger settled: a caller that flushed and then reads droppedSpans() finds it.
    CompletableResultCode counted = new CompletableResultCode();
    result.whenComplete(() -> {
      Throwable failure = result.getFailureThrowable();
      if (result.isSuccess()) {
        ledger.settled(size);
        counted.succeed();
      } else {
        failed(size, failure);
        if (failure == null) {
          counted.fail();
        } else {
          counted.failExceptionally(failure);
        }
      }
    });
    return counted;
  }

  /** An export of {@code size} spans ended without reaching the backend. */
  private void failed(int size, Throwable failure) {
    droppedSpans.exportFailed(size, failure);
    ledger.settled(size);
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }
}
