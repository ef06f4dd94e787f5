package io.servo.telemetry.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecentTracesTest {

  private static String traceId(int n) {
    return String.format("%032x", n + 1);
  }

  private static SpanData span(int trace, int span) {
    return TestSpanData.builder()
        .setSpanContext(SpanContext.create(traceId(trace), String.format("%016x", span + 1),
            TraceFlags.getSampled(), TraceState.getDefault()))
        .setName("span-" + span)
        .setKind(SpanKind.INTERNAL)
        .setStatus(StatusData.unset())
        .setStartEpochNanos(1_000)
        .setEndEpochNanos(2_000)
        .setHasEnded(true)
        .setTotalRecordedEvents(0)
        .setTotalRecordedLinks(0)
        .build();
  }

  private static List<String> names(List<SpanData> spans) {
    return spans.stream().map(SpanData::getName).toList();
  }

  @Test
  void spansAreGroupedByTrace() {
    RecentTraces recent = RecentTraces.create();

    recent.export(List.of(span(1, 1), span(2, 1), span(1, 2)));

    assertThat(names(recent.trace(traceId(1)))).containsExactly("span-1", "span-2");
    assertThat(names(recent.trace(traceId(2)))).containsExactly("span-1");
    assertThat(recent.trace(traceId(3))).isEmpty();
    assertThat(recent.traceIds()).containsExactly(traceId(1), traceId(2));
  }

  @Test
  void theTraceUpdatedLeastRecentlyIsEvictedFirst() {
    RecentTraces recent = RecentTraces.create(2, 10);

    recent.export(List.of(span(1, 1), span(2, 1)));
    recent.trace(traceId(1)); // reading is not an update
    recent.export(List.of(span(1, 2)));
    recent.export(List.of(span(3, 1)));

    assertThat(recent.traceIds()).containsExactly(traceId(3), traceId(1));
    assertThat(recent.trace(traceId(2))).isEmpty();
    assertThat(recent.evictedSpans()).isEqualTo(1);
  }

  @Test
  void theOldestSpansOfATraceAreEvictedFirst() {
    RecentTraces recent = RecentTraces.create(10, 3);

    for (int i = 1; i <= 5; i++) {
      recent.export(List.of(span(1, i)));
    }

    assertThat(names(recent.trace(traceId(1)))).containsExactly("span-3", "span-4", "span-5");
    assertThat(recent.evictedSpans()).isEqualTo(2);
  }

  @Test
  void boundsAreCheckedAndContentsSurviveShutdown() {
    assertThatThrownBy(() -> RecentTraces.create(0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTraces");
    assertThatThrownBy(() -> RecentTraces.create(1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxSpansPerTrace");

    RecentTraces recent = RecentTraces.create();
    recent.export(List.of(span(1, 1)));
    assertThat(recent.shutdown().isSuccess()).isTrue();

    assertThat(recent.export(List.of(span(1, 2))).isSuccess()).isFalse();
    assertThat(names(recent.trace(traceId(1)))).containsExactly("span-1");
    recent.clear();
    assertThat(recent.traceIds()).isEmpty();
  }

  @Test
  void concurrentExportsStayWithinTheBounds() throws Exception {
    RecentTraces recent = RecentTraces.create(5, 20);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 1_000; i++) {
            recent.export(List.of(span(i % 8, thread * 1_000 + i)));
            recent.trace(traceId(i % 8));
          }
        }));
      }
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(recent.traceIds()).hasSizeLessThanOrEqualTo(5);
    long kept = 0;
    for (String id : recent.traceIds()) {
      assertThat(recent.trace(id)).hasSizeLessThanOrEqualTo(20);
      kept += recent.trace(id).size();
    }
    assertThat(kept + recent.evictedSpans()).isEqualTo(4_000);
  }
}
