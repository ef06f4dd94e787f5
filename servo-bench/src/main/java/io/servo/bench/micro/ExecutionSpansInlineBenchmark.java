package io.servo.bench.micro;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.telemetry.redaction.RedactingSpanExporter;
import io.servo.telemetry.redaction.Redactor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The whole tracing cost of one execution on one thread: the spans of {@link ExecutionTrace} with
 * ServoTelemetry's sampler (ParentBased(TraceIdRatioBased)), propagators, resource attributes and
 * redaction, but a {@link SimpleSpanProcessor} instead of the batch processor, so each span is
 * redacted and handed to the (discarding) exporter on the calling thread: nothing is dropped and
 * no other thread's work is left out.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ExecutionSpansInlineBenchmark {
  @Param({"DISABLED", "UNSAMPLED", "SAMPLED"})
  public TracingMode mode;

  private OpenTelemetrySdk orchestrator;
  private OpenTelemetrySdk worker;
  private DiscardingSpanExporter sink;
  private ExecutionTrace trace;

  @Setup(Level.Trial)
  public void start() {
    sink = new DiscardingSpanExporter();
    orchestrator = sdk("servo-orchestrator");
    worker = sdk("servo-worker");
    trace = mode == TracingMode.DISABLED
        ? new ExecutionTrace(OpenTelemetry.noop(), OpenTelemetry.noop())
        : new ExecutionTrace(orchestrator, worker);
  }

  @TearDown(Level.Trial)
  public void stop() {
    orchestrator.close();
    worker.close();
  }

  private OpenTelemetrySdk sdk(String serviceName) {
    double rate = mode.config().sampleRate();
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.builder()
        .put("service.name", serviceName).put("service.version", "0.1.0-SNAPSHOT")
        .put("deployment.environment.name", "development").build()));
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setResource(resource)
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(rate)))
            .addSpanProcessor(SimpleSpanProcessor.create(
                RedactingSpanExporter.create(sink, Redactor.defaults())))
            .build())
        .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
            ServoTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
        .build();
  }

  /** One execution's spans, each recorded one redacted and exported before the next starts. */
  @Benchmark
  public Object oneExecution() {
    return trace.run();
  }
}
