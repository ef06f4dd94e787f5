package io.servo.telemetry.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TraceWaterfallTest {

  static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final long T0 = 1_764_064_800_000_000_000L; // 2025-11-25T10:00:00Z in nanos

  /** Spans made by a real SDK, with fixed ids and timestamps. */
  static final class TwoServices implements AutoCloseable {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final AtomicLong nextSpanId = new AtomicLong(1);
    private final IdGenerator ids = new IdGenerator() {
      @Override
      public String generateSpanId() {
        return String.format("%016x", nextSpanId.getAndIncrement());
      }

      @Override
      public String generateTraceId() {
        return TRACE_ID;
      }
    };
    final SdkTracerProvider orchestrator = provider("servo-orchestrator");
    final SdkTracerProvider worker = provider("servo-worker");

    private SdkTracerProvider provider(String service) {
      return SdkTracerProvider.builder()
          .setIdGenerator(ids)
          .setResource(Resource.create(Attributes.of(
              AttributeKey.stringKey("service.name"), service)))
          .addSpanProcessor(SimpleSpanProcessor.create(exporter))
          .build();
    }

    static Span span(Tracer tracer, String name, SpanKind kind, Context parent, long startMs) {
      return tracer.spanBuilder(name).setSpanKind(kind).setParent(parent)
          .setStartTimestamp(T0 + TimeUnit.MILLISECONDS.toNanos(startMs), TimeUnit.NANOSECONDS)
          .startSpan();
    }

    static void end(Span span, long endMs) {
      span.end(T0 + TimeUnit.MILLISECONDS.toNanos(endMs), TimeUnit.NANOSECONDS);
    }

    /** A small execution: HTTP request, DB insert, enqueue, worker delivery that fails, orphan. */
    List<SpanData> execution() {
      Tracer o = orchestrator.get("test");
      Tracer w = worker.get("test");
      Span root = span(o, "POST /v1/workflows/{name}/executions", SpanKind.SERVER,
          Context.root(), 0);
      Context inRoot = Context.root().with(root);
      Span insert = span(o, "INSERT servo.executions", SpanKind.CLIENT, inRoot, 2);
      end(insert, 8);
      Span enqueue = span(o, "cloud_tasks.enqueue", SpanKind.PRODUCER, inRoot, 10);
      Span delivery = w.spanBuilder("POST /execute").setSpanKind(SpanKind.SERVER)
          .setParent(Context.root().with(enqueue))
          .addLink(SpanContext.createFromRemoteParent(TRACE_ID, "00000000000000ff",
              TraceFlags.getSampled(), TraceState.getDefault()))
          .setStartTimestamp(T0 + TimeUnit.MILLISECONDS.toNanos(30), TimeUnit.NANOSECONDS)
          .startSpan();
      delivery.setStatus(StatusCode.ERROR, "asset orders failed: boom");
      end(delivery, 80);
      end(enqueue, 30);
      end(root, 100);
      Span missingParent = Span.wrap(SpanContext.create(TRACE_ID, "00000000000000aa",
          TraceFlags.getSampled(), TraceState.getDefault()));
      Span orphan = span(w, "worker.execute_asset", SpanKind.INTERNAL,
          Context.root().with(missingParent), 90);
      end(orphan, 95);
      return exporter.getFinishedSpanItems();
    }

    @Override
    public void close() {
      orchestrator.close();
      worker.close();
    }
  }

  @Test
  void rendersTheTreeWithKindsServicesDurationsBarsErrorsAndLinks() {
    try (TwoServices sdk = new TwoServices()) {
      String text = TraceWaterfall.render(sdk.execution(), 100);

      assertThat(text).isEqualTo(""
          + "trace 0af7651916cd43dd8448eb211c80319c · 5 spans · 100.0 ms\n"
          + "POST /v1/workflows/{name}/executions  SERVER    servo-orchestrator  100.0 ms  |████████████████████|\n"
          + "  INSERT servo.executions             CLIENT    servo-orchestrator    6.0 ms  |██                  |\n"
          + "  cloud_tasks.enqueue                 PRODUCER  servo-orchestrator   20.0 ms  |  ████              |\n"
          + "    POST /execute                     SERVER    servo-worker         50.0 ms  |      ██████████    |  ✗ asset orders failed: boom  ⇢ 1 link\n"
          + "worker.execute_asset                  INTERNAL  servo-worker          5.0 ms  |                  █ |\n");
    }
  }

  @Test
  void detailKeysNameWhatASpanWorkedOn() {
    try (TwoServices sdk = new TwoServices()) {
      Tracer w = sdk.worker.get("test");
      Span asset = TwoServices.span(w, "worker.execute_asset", SpanKind.INTERNAL, Context.root(), 0);
      asset.setAttribute("servo.asset.name", "raw_orders");
      TwoServices.end(asset, 10);
      Span other = TwoServices.span(w, "worker.execute_asset", SpanKind.INTERNAL, Context.root().with(asset), 1);
      TwoServices.end(other, 2);

      String text = TraceWaterfall.render(sdk.exporter.getFinishedSpanItems(), 80,
          List.of(AttributeKey.stringKey("missing"), AttributeKey.stringKey("servo.asset.name")));

      assertThat(text).contains("worker.execute_asset raw_orders  INTERNAL")
          .contains("  worker.execute_asset           INTERNAL");
    }
  }

  @Test
  void aSpansExceptionSaysWhatFailedAndOtherEventsAreCounted() {
    try (TwoServices sdk = new TwoServices()) {
      Tracer w = sdk.worker.get("test");
      Span asset = TwoServices.span(w, "worker.execute_asset", SpanKind.INTERNAL, Context.root(), 0);
      asset.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "exit code 3");
      asset.addEvent("exception", io.opentelemetry.api.common.Attributes.of(
          AttributeKey.stringKey("exception.type"), "io.servo.asset.CommandFailed",
          AttributeKey.stringKey("exception.message"), "exit code 3: cannot open input.csv\nstdout (tail): …"));
      asset.addEvent("checkpoint");
      TwoServices.end(asset, 10);

      String text = TraceWaterfall.render(sdk.exporter.getFinishedSpanItems(), 80);

      assertThat(text).contains("✗ exit code 3  ! CommandFailed: exit code 3: cannot open input.csv  · 1 event");
    }
  }

  @Test
  void theSameSpansInAnyOrderRenderTheSameText() {
    try (TwoServices sdk = new TwoServices()) {
      List<SpanData> spans = new ArrayList<>(sdk.execution());
      String expected = TraceWaterfall.render(spans, 120);
      Collections.reverse(spans);

      assertThat(TraceWaterfall.render(spans, 120)).isEqualTo(expected);
    }
  }

  @Test
  void theBarTakesTheWidthTheColumnsLeave() {
    try (TwoServices sdk = new TwoServices()) {
      List<SpanData> spans = sdk.execution();
      String wide = TraceWaterfall.render(spans, 140);
      String narrow = TraceWaterfall.render(spans, 20);

      String rootLine = wide.lines().skip(1).findFirst().orElseThrow();
      assertThat(rootLine).hasSize(140);
      assertThat(narrow.lines().skip(1).findFirst().orElseThrow())
          .endsWith("|" + "█".repeat(10) + "|");
    }
  }

  @Test
  void severalTracesAreRenderedOneAfterAnother() {
    try (TwoServices sdk = new TwoServices()) {
      List<SpanData> spans = new ArrayList<>(sdk.execution());
      Tracer other = SdkTracerProvider.builder()
          .addSpanProcessor(SimpleSpanProcessor.create(sdk.exporter))
          .setResource(Resource.empty())
          .build().get("test");
      Span lonely = TwoServices.span(other, "later", SpanKind.INTERNAL, Context.root(), 200);
      TwoServices.end(lonely, 200);
      spans.add(sdk.exporter.getFinishedSpanItems().get(5));

      String text = TraceWaterfall.render(spans, 100);

      assertThat(text).startsWith("trace " + TRACE_ID + " · 5 spans");
      assertThat(text).contains("\n\ntrace " + lonely.getSpanContext().getTraceId()
          + " · 1 span · 0.0 ms\n");
      assertThat(text.lines().reduce((a, b) -> b).orElseThrow())
          .startsWith("later ")
          .contains(" INTERNAL  - ")
          .endsWith("|████████████████████|");
    }
  }

  @Test
  void nothingRendersAsNothingAndTheWidthMustBePositive() {
    assertThat(TraceWaterfall.render(List.of(), 80)).isEmpty();
    assertThatThrownBy(() -> TraceWaterfall.render(List.of(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("width");
  }
}
