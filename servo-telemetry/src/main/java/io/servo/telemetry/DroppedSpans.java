package io.servo.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the batch span processors' own "spans processed" metric and reports the ones dropped
 * because the queue was full. The count is the SDK's, not a reconstruction of its queue.
 */
final class DroppedSpans implements MetricReader {

  private static final Logger log = LoggerFactory.getLogger(ServoTelemetry.class);
  private static final String PROCESSED = "otel.sdk.processor.span.processed";
  private static final String QUEUE_SIZE = "otel.sdk.processor.span.queue.size";
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  private static final Duration REPORT_INTERVAL = Duration.ofMinutes(1);

  private final Clock clock;
  private volatile CollectionRegistration registration = CollectionRegistration.noop();
  private long reported;
  private Instant lastReport = Instant.MIN;

  DroppedSpans(Clock clock) {
    this.clock = clock;
  }

  long count() {
    long dropped = 0;
    for (MetricData metric : registration.collectAllMetrics()) {
      if (metric.getName().equals(PROCESSED) && metric.getType() == MetricDataType.LONG_SUM) {
        for (LongPointData point : metric.getLongSumData().getPoints()) {
          if ("queue_full".equals(point.getAttributes().get(ERROR_TYPE))) {
            dropped += point.getValue();
          }
        }
      }
    }
    return dropped;
  }

  /** Spans waiting in the processors' queues right now. */
  long queued() {
    long queued = 0;
    for (MetricData metric : registration.collectAllMetrics()) {
      if (metric.getName().equals(QUEUE_SIZE) && metric.getType() == MetricDataType.LONG_SUM) {
        for (LongPointData point : metric.getLongSumData().getPoints()) {
          queued += point.getValue();
        }
      }
    }
    return queued;
  }

  /** Logs new drops, at most once a minute (and always when {@code force}). */
  synchronized void report(boolean force) {
    Instant now = clock.instant();
    if (!force && now.isBefore(lastReport.plus(REPORT_INTERVAL))) {
      return;
    }
    long dropped = count();
    if (dropped > reported) {
      log.warn("Dropped {} span(s) because the trace exporter could not keep up ({} in total);"
          + " check that the exporter endpoint is reachable", dropped - reported, dropped);
      reported = dropped;
    }
    lastReport = now;
  }

  @Override
  public void register(CollectionRegistration registration) {
    this.registration = registration;
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
