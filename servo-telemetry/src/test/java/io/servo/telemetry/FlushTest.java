package io.servo.telemetry;

import static io.servo.telemetry.ExportersTest.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The worker flushes before it answers (on Cloud Run the CPU may be throttled once the response is
 * out): when the flush returns, the request's spans must have reached the exporter, also while other
 * requests flush at the same time.
 */
class FlushTest {

  private static final int REQUESTS = 8;
  private static final int ROUNDS = 40;

  @Test
  void concurrentRequestsFindTheirOwnSpansExportedWhenTheirFlushReturns() throws Exception {
    SlowExporter exporter = new SlowExporter();
    ServoTelemetry telemetry = ServoTelemetry.builder(config("SERVO_TRACE_EXPORTER", "none"), "servo-worker")
        .addSpanExporter(exporter).start();
    Tracer tracer = telemetry.openTelemetry().getTracer("t");
    ExecutorService requests = Executors.newFixedThreadPool(REQUESTS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<List<String>>> missing = new ArrayList<>();
    try {
      for (int r = 0; r < REQUESTS; r++) {
        String request = "request-" + r;
        missing.add(requests.submit(() -> {
          go.await();
          List<String> notExported = new ArrayList<>();
          for (int i = 0; i < ROUNDS; i++) {
            String name = request + "-" + i;
            tracer.spanBuilder(name).startSpan().end();
            boolean flushed = telemetry.forceFlush(Duration.ofSeconds(10));
            if (!flushed || !exporter.names.contains(name)) {
              notExported.add(name + (flushed ? "" : " (flush failed)"));
            }
          }
          return notExported;
        }));
      }
      go.countDown();
      List<String> notExported = new ArrayList<>();
      for (Future<List<String>> request : missing) {
        notExported.addAll(request.get());
      }

      assertThat(notExported).as("spans not yet exported when their flush returned").isEmpty();
      assertThat(exporter.names).hasSize(REQUESTS * ROUNDS);
    } finally {
      requests.shutdownNow();
      telemetry.shutdown(Duration.ofSeconds(5));
    }
  }

  /** Takes a few milliseconds per export, as a backend across a network does. */
  private static final class SlowExporter implements SpanExporter {
    final Set<String> names = ConcurrentHashMap.newKeySet();

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      try {
        Thread.sleep(3);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return CompletableResultCode.ofFailure();
      }
      spans.forEach(span -> names.add(span.getName()));
      return CompletableResultCode.ofSuccess();
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
}
