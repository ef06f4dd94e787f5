package io.servo.telemetry;

import static io.servo.telemetry.ExportersTest.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.view.RecentTraces;
import io.servo.telemetry.view.TraceWaterfall;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SDK that ServoTelemetry starts propagates W3C Trace Context Level 2 and feeds RecentTraces. */
class TracePropagationTest {

  @Test
  void theSdkPropagatesLevel2TracestateAndTheRandomFlagAndRecentTracesGetsRedactedSpans() {
    RecentTraces recent = RecentTraces.create();
    try (ServoTelemetry telemetry = ServoTelemetry.builder(
        config("SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_UI_URL",
            "http://ui.local/trace/{trace_id}"), "servo-worker")
        .addSpanExporter(recent).start()) {
      TextMapPropagator propagator = telemetry.openTelemetry().getPropagators()
          .getTextMapPropagator();
      assertThat(propagator.fields()).containsExactly("traceparent", "tracestate", "baggage");
      Context remote = MapCarrier.extract(propagator, Context.root(), Map.of(
          "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
          "tracestate", "congo=t61rcWkgMzE,tenant@vendor@region=1"));

      Tracer tracer = telemetry.openTelemetry().getTracer("test");
      Span span = tracer.spanBuilder("worker.execute_workflow").setParent(remote)
          .setAttribute("db.password", "hunter2").startSpan();
      Map<String, String> outgoing = new HashMap<>();
      MapCarrier.inject(propagator, remote.with(span), outgoing);
      span.end();
      telemetry.forceFlush(Duration.ofSeconds(5));

      assertThat(outgoing.get("traceparent"))
          .matches("00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-03");
      assertThat(outgoing).containsEntry("tracestate", "congo=t61rcWkgMzE,tenant@vendor@region=1");
      List<SpanData> spans = recent.trace("0af7651916cd43dd8448eb211c80319c");
      assertThat(spans).hasSize(1);
      assertThat(spans.get(0).getAttributes().asMap().values()).doesNotContain("hunter2");
      assertThat(TraceWaterfall.render(spans, 100))
          .contains("worker.execute_workflow  INTERNAL")
          .contains("servo-worker");
      assertThat(telemetry.traceLinks().url("0af7651916cd43dd8448eb211c80319c"))
          .contains("http://ui.local/trace/0af7651916cd43dd8448eb211c80319c");
    }
  }
}
