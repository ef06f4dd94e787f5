package io.servo.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/**
 * Records the end of every export in the {@link ExportLedger}, counts the spans of every export that fails (the backend refused the batch, could not be reached,
 * did not answer in time, or the exporter threw) in {@link DroppedSpans}, and gives the drop report
 * a chance to run on the export thread, so it needs no thread of its own.
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
      droppedSpans.exportFailed(size, e);
      ledger.settled(size);
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    if (result == null) {
      droppedSpans.exportFailed(size, null);
      ledger.settled(size);
      return CompletableResultCode.ofFailure();
    }
    // The batch processor (and a flush waiting on it) sees the export end only once the loss is
    // counted and the ledger settled: a caller that flushed and then reads droppedSpans() finds it.
    CompletableResultCode counted = new CompletableResultCode();
    result.whenComplete(() -> {
      if (!result.isSuccess()) {
        droppedSpans.exportFailed(size, result.getFailureThrowable());
      }
      ledger.settled(size);
      if (result.isSuccess()) {
        counted.succeed();
      } else {
        Throwable failure = result.getFailureThrowable();
        if (failure == null) {
          counted.fail();
        } else {
          counted.failExceptionally(failure);
        }
      }
    });
    return counted;
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
