package io.servo.telemetry;

import static io.servo.telemetry.ExportersTest.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.config.TracingConfig;
import io.servo.testing.otlp.OtlpReceiver;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LifecycleTest {

  private static final int QUEUE = 64;
  private static final int SPANS = 5_000;

  private static void createSpans(ServoTelemetry telemetry) {
    Tracer tracer = telemetry.openTelemetry().getTracer("load");
    for (int i = 0; i < SPANS; i++) {
      tracer.spanBuilder("request-" + i).startSpan().end();
    }
  }

  @Test
  void anEndpointRefusingConnectionsNeverSlowsWorkAndDropsAreCounted() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    ServoTelemetry telemetry = ServoTelemetry.start(config(
        "SERVO_TRACE_EXPORTER", "otlp",
        "SERVO_TRACE_ENDPOINT", "http://127.0.0.1:" + closedPort,
        "OTEL_BSP_MAX_QUEUE_SIZE", String.valueOf(QUEUE)), "servo-worker");

    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> createSpans(telemetry));

    assertThat(telemetry.droppedSpans()).isPositive();
    assertThat(telemetry.queuedSpans()).isLessThanOrEqualTo(QUEUE);
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> telemetry.shutdown(Duration.ofSeconds(1)));
  }

  @Test
  void anEndpointThatNeverAnswersNeverSlowsWorkAndDropsAreCounted() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.start(OtlpReceiver.Mode.HANG)) {
      ServoTelemetry telemetry = ServoTelemetry.start(config(
          "SERVO_TRACE_EXPORTER", "otlp",
          "SERVO_TRACE_ENDPOINT", collector.endpoint(),
          "OTEL_EXPORTER_OTLP_TIMEOUT", "2000",
          "OTEL_BSP_MAX_QUEUE_SIZE", String.valueOf(QUEUE)), "servo-worker");

      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> createSpans(telemetry));
      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> createSpans(telemetry));

      assertThat(telemetry.droppedSpans()).isPositive();
      assertThat(telemetry.queuedSpans()).isLessThanOrEqualTo(QUEUE);
      assertThat(telemetry.flushOnResponse()).isTrue(); // off outside Cloud Run: returns at once
      assertTimeoutPreemptively(Duration.ofSeconds(30),
          () -> telemetry.shutdown(Duration.ofSeconds(1)));
    }
  }

  @Test
  void disabledTracingIsTheNoopInstanceAndStartsNoThread() {
    Set<String> before = threadNames();

    ServoTelemetry telemetry = ServoTelemetry.start(TracingConfig.from(Map.of(
        "SERVO_TRACE_EXPORTER", "otlp")), "servo-worker");
    telemetry.openTelemetry().getTracer("t").spanBuilder("s").startSpan().end();

    assertThat(telemetry.enabled()).isFalse();
    assertThat(telemetry.openTelemetry()).isSameAs(OpenTelemetry.noop());
    assertThat(telemetry.droppedSpans()).isZero();
    assertThat(telemetry.forceFlush(Duration.ofSeconds(1))).isTrue();
    Set<String> started = threadNames();
    started.removeAll(before);
    assertThat(started).isEmpty();
    telemetry.close();
  }

  @Test
  void extraExportersGetRedactedSpansAndEachServiceHasItsOwnResource() {
    InMemorySpanExporter orchestratorSpans = InMemorySpanExporter.create();
    InMemorySpanExporter workerSpans = InMemorySpanExporter.create();
    TracingConfig config = config("SERVO_TRACE_EXPORTER", "none",
        "SERVO_TRACE_REDACT_KEYS", "customer_email");
    ServoTelemetry orchestrator = ServoTelemetry.builder(config, "servo-orchestrator")
        .addSpanExporter(orchestratorSpans).start();
    ServoTelemetry worker = ServoTelemetry.builder(config, "servo-worker")
        .addSpanExporter(workerSpans).start();

    Span parent = orchestrator.openTelemetry().getTracer("t").spanBuilder("enqueue")
        .setAttribute("app.customer_email", "a@b.example")
        .setAttribute("http.request.header.authorization", "Bearer xyz")
        .startSpan();
    parent.recordException(new IllegalStateException("connect to postgres://u:hunter2@db failed"));
    parent.end();
    worker.openTelemetry().getTracer("t").spanBuilder("execute").startSpan().end();
    orchestrator.forceFlush(Duration.ofSeconds(10));
    worker.forceFlush(Duration.ofSeconds(10));

    SpanData enqueue = orchestratorSpans.getFinishedSpanItems().get(0);
    assertThat(enqueue.getAttributes().get(AttributeKey.stringKey("app.customer_email")))
        .isEqualTo("[REDACTED]");
    assertThat(enqueue.getAttributes().get(AttributeKey.stringKey("http.request.header.authorization")))
        .isEqualTo("[REDACTED]");
    assertThat(enqueue.getEvents().get(0).getAttributes()
        .get(AttributeKey.stringKey("exception.message")))
        .isEqualTo("connect to postgres://u:[REDACTED]@db failed");
    assertThat(enqueue.getEvents().get(0).getAttributes()
        .get(AttributeKey.stringKey("exception.stacktrace"))).doesNotContain("hunter2");
    assertThat(enqueue.getResource().getAttribute(AttributeKey.stringKey("service.name")))
        .isEqualTo("servo-orchestrator");
    assertThat(workerSpans.getFinishedSpanItems()).singleElement()
        .extracting(s -> s.getResource().getAttribute(AttributeKey.stringKey("service.name")))
        .isEqualTo("servo-worker");
    orchestrator.close();
    worker.close();
  }

  @Test
  void theSamplerIsParentBasedRatio() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    ServoTelemetry telemetry = ServoTelemetry.builder(
            config("SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_SAMPLE_RATE", "0.0"), "servo-worker")
        .addSpanExporter(spans).start();
    Tracer tracer = telemetry.openTelemetry().getTracer("t");

    Span root = tracer.spanBuilder("root").startSpan();
    assertThat(root.getSpanContext().isValid()).isTrue();
    assertThat(root.getSpanContext().isSampled()).isFalse();
    root.end();

    Span sampledParent = Span.wrap(io.opentelemetry.api.trace.SpanContext.createFromRemoteParent(
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
        io.opentelemetry.api.trace.TraceFlags.getSampled(),
        io.opentelemetry.api.trace.TraceState.getDefault()));
    Span child = tracer.spanBuilder("child")
        .setParent(io.opentelemetry.context.Context.root().with(sampledParent)).startSpan();
    assertThat(child.getSpanContext().isSampled()).isTrue();
    child.end();

    telemetry.forceFlush(Duration.ofSeconds(10));
    assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("child");
    telemetry.close();
  }

  @Test
  void shutdownHookIsRegisteredAndRemovable() {
    ServoTelemetry telemetry = ServoTelemetry.start(config("SERVO_TRACE_EXPORTER", "none"), "w");
    Thread hook = telemetry.registerShutdownHook();
    assertThat(Runtime.getRuntime().removeShutdownHook(hook)).isTrue();
    telemetry.close();
  }

  private static Set<String> threadNames() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive).map(Thread::getName).collect(Collectors.toSet());
  }
}
