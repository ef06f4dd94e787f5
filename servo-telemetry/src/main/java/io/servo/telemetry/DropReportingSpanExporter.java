package io.servo.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/** Gives the drop report a chance to run on the export thread, so it needs no thread of its own. */
final class DropReportingSpanExporter implements SpanExporter {

  private final SpanExporter delegate;
  private final DroppedSpans droppedSpans;

  DropReportingSpanExporter(SpanExporter delegate, DroppedSpans droppedSpans) {
    this.delegate = delegate;
    this.droppedSpans = droppedSpans;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    droppedSpans.report(false);
    return delegate.export(spans);
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
