package io.servo.telemetry;

import static io.servo.telemetry.ExportersTest.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.telemetry.logging.SdkLogBridge;
import io.servo.testing.otlp.OtlpReceiver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/**
 * Spans lost on the way to the trace backend are counted by {@code droppedSpans()}, whether they
 * overflowed the queue or were in an export the backend refused, and Servo's report says which, at
 * most once a minute per service.
 */
class DroppedSpansTest {

  private static void createSpans(ServoTelemetry telemetry, int n) {
    Tracer tracer = telemetry.openTelemetry().getTracer("test");
    for (int i = 0; i < n; i++) {
      tracer.spanBuilder("span-" + i).startSpan().end();
    }
  }

  @Test
  void spansInAnExportTheBackendRefusesWith500AreCountedAndReportedOnceAMinute() throws Exception {
    MutableClock clock = new MutableClock();
    try (OtlpReceiver collector = OtlpReceiver.rejecting(500, new byte[0]);
        LogLines servo = new LogLines(ServoTelemetry.class.getName())) {
      ServoTelemetry telemetry = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "otlp",
              "SERVO_TRACE_ENDPOINT", collector.endpoint()), "servo-worker")
          .clock(clock)
          .start();

      createSpans(telemetry, 10);
      telemetry.forceFlush(Duration.ofSeconds(10));

      assertDropped(telemetry, 10);
      assertThat(collector.requests()).as("the exporter reached the backend").isPositive();
      assertThat(telemetry.droppedSpans()).as("every span the backend refused is counted").isEqualTo(10);
      assertThat(telemetry.droppedSpansFailedExport()).isEqualTo(10);
      assertThat(telemetry.droppedSpansQueueFull()).isZero();
      assertThat(servo.containing("Dropped")).singleElement().asString()
          .startsWith("WARN io.servo.telemetry.ServoTelemetry - Dropped 10 span(s) of servo-worker since start"
              + " on their way to otlp " + collector.endpoint() + "/v1/traces:")
          .contains("0 by queue overflow")
          .contains("10 refused by the backend or never delivered (last error: HTTP 500)")
          .contains("executions are not affected");

      // Within the minute: counted, not logged again.
      clock.advance(Duration.ofSeconds(30));
      createSpans(telemetry, 5);
      telemetry.forceFlush(Duration.ofSeconds(10));
      assertDropped(telemetry, 15);
      assertThat(servo.containing("Dropped")).hasSize(1);

      // A minute after the report: the new losses, and the total.
      clock.advance(Duration.ofSeconds(31));
      telemetry.forceFlush(Duration.ofSeconds(10));
      assertThat(servo.containing("Dropped")).hasSize(2);
      assertThat(servo.containing("Dropped").get(1))
          .contains("Dropped 5 span(s) of servo-worker in the last 61 s (15 since start)")
          .contains("0 by queue overflow")
          .contains("5 refused by the backend or never delivered (last error: HTTP 500)");
      telemetry.shutdown(Duration.ofSeconds(5));
    }
  }

  @Test
  void aSustainedOutageLogsServosLineOnceNotTheSdksWarningPerExport() throws Exception {
    List<String> sdkWarnings = new CopyOnWriteArrayList<>();
    Handler handler = warningsInto(sdkWarnings);
    java.util.logging.Logger sdk = java.util.logging.Logger.getLogger(SdkLogBridge.SDK);
    sdk.addHandler(handler);
    try (OtlpReceiver collector = OtlpReceiver.rejecting(500, new byte[0]);
        LogLines servo = new LogLines(ServoTelemetry.class.getName());
        LogLines bridged = new LogLines(SdkLogBridge.SDK)) {
      ServoTelemetry telemetry = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "otlp",
              "SERVO_TRACE_ENDPOINT", collector.endpoint(),
              "OTEL_BSP_MAX_QUEUE_SIZE", "16",
              "OTEL_BSP_SCHEDULE_DELAY", "10"), "servo-worker")
          .start();
      // Three seconds of refused exports, with queue overflow in between.
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < until) {
        createSpans(telemetry, 100);
        Thread.sleep(50);
      }
      telemetry.forceFlush(Duration.ofSeconds(10));

      assertThat(collector.requests()).as("exports the backend refused").isGreaterThan(5);
      assertThat(telemetry.droppedSpansFailedExport()).isPositive();
      assertThat(telemetry.droppedSpansQueueFull()).isPositive();
      assertThat(sdkWarnings).as("the SDK's per-export warnings (java.util.logging)").isEmpty();
      assertThat(bridged.lines()).as("the SDK's per-export warnings (bridged)")
          .noneMatch(l -> l.startsWith("WARN") || l.startsWith("ERROR"));
      assertThat(servo.containing("Dropped")).as("Servo's report: once, for both kinds of loss").singleElement().asString()
          .containsPattern("Dropped \\d+ span\\(s\\) of servo-worker since start")
          .containsPattern("\\d+ by queue overflow")
          .containsPattern("\\d+ refused by the backend or never delivered");
      telemetry.shutdown(Duration.ofSeconds(5));
    } finally {
      sdk.removeHandler(handler);
    }
  }

  @Test
  void theBackendsOwnMessageIsQuotedFromA400() throws Exception {
    // A google.rpc.Status: code 3 (INVALID_ARGUMENT), message.
    byte[] message = "resource is missing the project id".getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream status = new ByteArrayOutputStream();
    status.write(new byte[] {0x08, 0x03, 0x12, (byte) message.length});
    status.write(message);
    try (OtlpReceiver collector = OtlpReceiver.rejecting(400, status.toByteArray());
        LogLines servo = new LogLines(ServoTelemetry.class.getName())) {
      ServoTelemetry telemetry = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "otlp",
              "SERVO_TRACE_ENDPOINT", collector.endpoint()), "servo-orchestrator")
          .clock(new MutableClock())
          .start();
      createSpans(telemetry, 3);
      telemetry.forceFlush(Duration.ofSeconds(10));

      assertDropped(telemetry, 3);
      assertThat(servo.containing("Dropped")).singleElement().asString()
          .contains("3 refused by the backend or never delivered"
              + " (last error: HTTP 400: resource is missing the project id)");
      telemetry.shutdown(Duration.ofSeconds(5));
    }
  }

  @Test
  void queueOverflowIsCountedApartFromRefusedExports() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    SpanExporter stuck = new TestExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return CompletableResultCode.ofSuccess();
      }
    };
    MutableClock clock = new MutableClock();
    try (LogLines servo = new LogLines(ServoTelemetry.class.getName())) {
      ServoTelemetry telemetry = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "none",
              "OTEL_BSP_MAX_QUEUE_SIZE", "8",
              "OTEL_BSP_SCHEDULE_DELAY", "10"), "servo-worker")
          .addSpanExporter(stuck)
          .clock(clock)
          .start();
      createSpans(telemetry, 200);
      release.countDown();
      clock.advance(Duration.ofSeconds(1));
      telemetry.forceFlush(Duration.ofSeconds(10));

      long overflow = telemetry.droppedSpansQueueFull();
      assertThat(overflow).as("spans beyond the queue of 8").isGreaterThanOrEqualTo(200 - 8 - 8);
      assertThat(telemetry.droppedSpansFailedExport()).isZero();
      assertThat(telemetry.droppedSpans()).isEqualTo(overflow);
      // Reported at the first loss seen, while spans were still being dropped: some of them.
      assertThat(servo.containing("Dropped")).singleElement().asString()
          .containsPattern("Dropped (\\d+) span\\(s\\) of servo-worker since start on their way to in-process exporters: "
              + "\\1 by queue overflow \\(the trace backend is too slow or unreachable, so the export queue filled up\\),"
              + " 0 refused by the backend or never delivered\\.");
      telemetry.shutdown(Duration.ofSeconds(5));
    }
  }

  @Test
  void anExporterThatThrowsLosesItsBatchCountedAndReportedWithoutAnSdkWarning() {
    SpanExporter throwing = new TestExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        throw new IllegalStateException("disk full");
      }
    };
    List<String> sdkWarnings = new CopyOnWriteArrayList<>();
    Handler handler = warningsInto(sdkWarnings);
    java.util.logging.Logger sdk = java.util.logging.Logger.getLogger(SdkLogBridge.SDK);
    sdk.addHandler(handler);
    try (LogLines servo = new LogLines(ServoTelemetry.class.getName())) {
      ServoTelemetry telemetry = ServoTelemetry.builder(config("SERVO_TRACE_EXPORTER", "none"), "servo-worker")
          .addSpanExporter(throwing)
          .clock(new MutableClock())
          .start();
      createSpans(telemetry, 4);
      assertThatCode(() -> telemetry.forceFlush(Duration.ofSeconds(10))).doesNotThrowAnyException();

      assertDropped(telemetry, 4);
      assertThat(servo.containing("Dropped")).singleElement().asString()
          .contains("4 refused by the backend or never delivered"
              + " (last error: java.lang.IllegalStateException: disk full)");
      assertThat(sdkWarnings).as("the batch processor's 'Exporter threw an Exception'").isEmpty();
      telemetry.shutdown(Duration.ofSeconds(5));
    } finally {
      sdk.removeHandler(handler);
    }
  }

  @Test
  void anExportThatFailsAfterItReturnedIsCountedWhenItCompletes() {
    DroppedSpans dropped = new DroppedSpans(new MutableClock(), "servo-worker", "otlp http://x");
    List<CompletableResultCode> pending = new ArrayList<>();
    SpanExporter later = new TestExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        CompletableResultCode result = new CompletableResultCode();
        pending.add(result);
        return result;
      }
    };
    DropReportingSpanExporter exporter = new DropReportingSpanExporter(later, dropped, new ExportLedger(2048, dropped));
    List<SpanData> three = List.of(span(), span(), span());

    CompletableResultCode first = exporter.export(three);
    CompletableResultCode second = exporter.export(three);
    assertThat(dropped.failedExport()).as("nothing failed yet").isZero();

    pending.get(0).succeed();
    pending.get(1).failExceptionally(new java.net.ConnectException("Connection refused"));

    assertThat(first.isSuccess()).isTrue();
    assertThat(second.isSuccess()).isFalse();
    assertThat(dropped.failedExport()).isEqualTo(3);
  }

  @Test
  void failuresAreDescribedForAnOperator() {
    java.net.ConnectException refused = new java.net.ConnectException();
    refused.initCause(new java.nio.channels.ClosedChannelException());
    assertThat(DroppedSpans.describe(refused)).isEqualTo("could not connect: java.net.ConnectException,"
        + " caused by java.nio.channels.ClosedChannelException");
    assertThat(DroppedSpans.describe(new java.net.http.HttpTimeoutException("request timed out")))
        .isEqualTo("no answer within the export timeout: java.net.http.HttpTimeoutException: request timed out");
    assertThat(DroppedSpans.describe(new IllegalStateException("disk full")))
        .isEqualTo("java.lang.IllegalStateException: disk full");
    assertThat(DroppedSpans.describe(null)).isEqualTo("the exporter reported a failure without a reason");
    assertThat(DroppedSpans.backendMessage("{\"code\": 7,\n \"message\": \"denied\"}"
        .getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"code\": 7, \"message\": \"denied\"}");
    assertThat(DroppedSpans.backendMessage(new byte[] {0x08, (byte) 0xff, 0x01, 0x00})).isEmpty();
    assertThat(DroppedSpans.backendMessage("x".repeat(1000).getBytes(StandardCharsets.UTF_8)))
        .hasSize(301).endsWith("…");
  }

  private static SpanData span() {
    return io.opentelemetry.sdk.testing.trace.TestSpanData.builder()
        .setName("s")
        .setKind(io.opentelemetry.api.trace.SpanKind.INTERNAL)
        .setStartEpochNanos(1)
        .setEndEpochNanos(2)
        .setHasEnded(true)
        .setStatus(io.opentelemetry.sdk.trace.data.StatusData.unset())
        .build();
  }

  private static Handler warningsInto(List<String> out) {
    return new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
          out.add(record.getLoggerName() + ": " + record.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }

  private abstract static class TestExporter implements SpanExporter {
    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** A clock that moves only when told. */
  static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2030-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** Read right after a flush: the flush returns once the spans' exports ended and were counted. */
  private static void assertDropped(ServoTelemetry telemetry, long expected) {
    assertThat(telemetry.droppedSpans()).isEqualTo(expected);
  }
}
