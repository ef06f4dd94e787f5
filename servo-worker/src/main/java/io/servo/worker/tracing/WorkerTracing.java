package io.servo.worker.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.instrumenter.SpanKindExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import io.servo.telemetry.SpanTakeover;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.http.ExchangeAttributesGetter;
import io.servo.telemetry.http.RecordedOnlyAttributes;
import io.servo.worker.assets.RunnerInstrumentation;
import io.servo.worker.execution.ExecutionInterceptor;
import io.servo.worker.http.DeliveryObserver;
import java.time.Clock;
import java.util.Objects;

/**
 * The worker's tracing, wired in one place: the SERVER span of {@code POST /execute} (parented on the
 * signed payload's trace once the request is authenticated), the CONSUMER span of the delivery, a span
 * per asset, and the spans and propagation beneath assets. The worker's business code has no tracing
 * calls; it exposes three seams, and this object fills them:
 *
 * <pre>{@code
 * WorkerTracing tracing = WorkerTracing.create(openTelemetry, clock);
 * tracing.deliveries();   // DeliveryObserver: the SERVER span
 * tracing.interceptor();  // ExecutionInterceptor: CONSUMER and asset spans
 * tracing.runners();      // RunnerInstrumentation: JDBC, HTTP client, subprocess environment
 * }</pre>
 *
 * <p>With a no-op {@link OpenTelemetry} every seam is the no-op one: the request path does no
 * tracing work at all.
 */
public final class WorkerTracing {
  private static final WorkerTracing DISABLED = new WorkerTracing(
      DeliveryObserver.NONE, ExecutionInterceptor.NONE, RunnerInstrumentation.NONE);

  private final DeliveryObserver deliveries;
  private final ExecutionInterceptor interceptor;
  private final RunnerInstrumentation runners;

  private WorkerTracing(DeliveryObserver deliveries, ExecutionInterceptor interceptor,
      RunnerInstrumentation runners) {
    this.deliveries = deliveries;
    this.interceptor = interceptor;
    this.runners = runners;
  }

  /**
   * @param clock the worker's clock: the queue wait is its time of receipt minus the task's ETA
   */
  public static WorkerTracing create(OpenTelemetry openTelemetry, Clock clock) {
    return create(openTelemetry, clock, KeptSpansSink.NONE);
  }

  /**
   * @param clock the worker's clock: the queue wait is its time of receipt minus the task's ETA
   * @param keptSpans where the worker's part of a kept unsampled trace goes (the execution's row),
   *     for the orchestrator to export with its own; {@link KeptSpansSink#NONE} keeps nothing
   */
  public static WorkerTracing create(OpenTelemetry openTelemetry, Clock clock, KeptSpansSink keptSpans) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    Objects.requireNonNull(keptSpans, "keptSpans");
    Objects.requireNonNull(clock, "clock");
    if (openTelemetry == OpenTelemetry.noop()
        || openTelemetry.getTracerProvider() == TracerProvider.noop()) {
      return DISABLED;
    }
    ExchangeAttributesGetter<DeliveryRequest> http = ExchangeAttributesGetter.create();
    Instrumenter<DeliveryRequest, Integer> server = Instrumenter.<DeliveryRequest, Integer>builder(
            openTelemetry, WorkerSpans.INSTRUMENTATION_NAME, HttpSpanNameExtractor.create(http))
        .setSpanStatusExtractor(HttpSpanStatusExtractor.create(http))
        .addAttributesExtractor(RecordedOnlyAttributes.of(HttpServerAttributesExtractor.create(http)))
        .addSpanLinksExtractor((links, parentContext, request) -> {
          if (request.frontEnd() != null) {
            links.addLink(request.frontEnd(),
                Attributes.of(WorkerSpans.LINK_REASON, WorkerSpans.FRONT_END_TRACEPARENT));
          }
        })
        // The parent is chosen by DeliverySpans (after authentication), never read from headers here.
        .buildInstrumenter(SpanKindExtractor.alwaysServer());
    TraceKeep keep = keptSpans == KeptSpansSink.NONE ? TraceKeep.DISABLED : TraceKeep.of(openTelemetry);
    return new WorkerTracing(
        new DeliverySpans(server, keep, keptSpans),
        new ExecutionSpans(openTelemetry.getTracer(WorkerSpans.INSTRUMENTATION_NAME), clock,
            SpanTakeover.of(openTelemetry), keep),
        new RunnerSpans(openTelemetry));
  }

  /** True unless the OpenTelemetry given was a no-op one. */
  public boolean enabled() {
    return this != DISABLED;
  }

  /** Starts the SERVER span of each authenticated, decoded delivery. */
  public DeliveryObserver deliveries() {
    return deliveries;
  }

  /** The CONSUMER span of each delivery and the span of each asset run. */
  public ExecutionInterceptor interceptor() {
    return interceptor;
  }

  /** Spans and propagation beneath an asset span. */
  public RunnerInstrumentation runners() {
    return runners;
  }
}
