package io.servo.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class DeferredSpanExporterTest {

  private static final List<SpanData> BATCH = List.of(TestSpanData.builder()
      .setName("execute").setKind(SpanKind.INTERNAL).setStatus(StatusData.unset())
      .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true).setTotalRecordedEvents(0)
      .build());

  @Test
  void startingDoesNotWaitForTheBuildAndTheFirstExportDoes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    InMemorySpanExporter target = InMemorySpanExporter.create();
    SpanExporter exporter = DeferredSpanExporter.start("otlp", () -> {
      await(release);
      return target;
    }, Duration.ofSeconds(10));

    // start() returned while the build is still blocked; the export waits for it.
    CompletableFuture<CompletableResultCode> export =
        CompletableFuture.supplyAsync(() -> exporter.export(BATCH));
    assertThat(export).isNotDone();
    release.countDown();

    assertThat(export.get(10, TimeUnit.SECONDS).join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    assertThat(target.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("execute");
    assertThat(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    assertThat(target.export(BATCH).isSuccess()).as("the built exporter was shut down").isFalse();
  }

  @Test
  void aFailedBuildFailsEachExportWithItsCause() {
    SpanExporter exporter = DeferredSpanExporter.start("otlp", () -> {
      throw new IllegalStateException("no HttpSenderProvider found on the class path");
    }, Duration.ofSeconds(10));

    CompletableResultCode result = exporter.export(BATCH).join(10, TimeUnit.SECONDS);

    assertThat(result.isSuccess()).isFalse();
    assertThat(result.getFailureThrowable()).hasMessageContaining("no HttpSenderProvider");
    assertThat(exporter.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
  }

  @Test
  void aBuildThatOutlastsTheWaitFailsTheExportInsteadOfHoldingTheBatchProcessor() {
    CountDownLatch never = new CountDownLatch(1);
    SpanExporter exporter = DeferredSpanExporter.start("cloudtrace", () -> {
      await(never);
      return InMemorySpanExporter.create();
    }, Duration.ofMillis(50));

    CompletableResultCode result = exporter.export(BATCH).join(10, TimeUnit.SECONDS);

    assertThat(result.isSuccess()).isFalse();
    assertThat(result.getFailureThrowable()).isInstanceOf(TimeoutException.class)
        .hasMessage("the cloudtrace exporter was not set up within 50 ms");
    never.countDown();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
