package io.servo.bench.micro;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

/**
 * An exporter that counts spans and throws them away, so that what a microbenchmark measures is
 * the work before the wire: span creation, the batch queue and redaction.
 */
public final class DiscardingSpanExporter implements SpanExporter {
  private final LongAdder exported = new LongAdder();

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    exported.add(spans.size());
    return CompletableResultCode.ofSuccess();
  }

  /** Spans received so far. */
  public long exported() {
    return exported.sum();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
