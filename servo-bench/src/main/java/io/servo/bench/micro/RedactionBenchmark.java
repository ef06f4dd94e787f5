package io.servo.bench.micro;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.redaction.RedactingSpanExporter;
import io.servo.telemetry.redaction.Redactor;
import java.time.Duration;
import java.util.List;
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

/**
 * Redaction of the spans one execution exports: {@link RedactingSpanExporter} with the default
 * {@link Redactor} over the {@link SpanData} that {@link ExecutionTrace} produced through the real
 * SDK (so resource, attributes and statements are the real objects). Only exported spans are
 * redacted: with tracing disabled or unsampled the exporter receives nothing, which this measures
 * as an empty batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RedactionBenchmark {
  @Param({"DISABLED", "UNSAMPLED", "SAMPLED"})
  public TracingMode mode;

  private List<SpanData> spans;
  private RedactingSpanExporter exporter;

  @Setup(Level.Trial)
  public void collect() {
    CollectingSpanExporter collected = new CollectingSpanExporter();
    ServoTelemetry orchestrator = mode.start("servo-orchestrator", collected);
    ServoTelemetry worker = mode.start("servo-worker", collected);
    new ExecutionTrace(orchestrator.openTelemetry(), worker.openTelemetry()).run();
    orchestrator.shutdown(Duration.ofSeconds(5));
    worker.shutdown(Duration.ofSeconds(5));
    spans = collected.spans();
    exporter = RedactingSpanExporter.create(new DiscardingSpanExporter(), Redactor.defaults());
    System.out.printf("%n[redaction] %s: %d spans per execution reach the exporter%n", mode, spans.size());
  }

  /** Redacts (and discards) one execution's exported spans. */
  @Benchmark
  public CompletableResultCode oneExecution() {
    return exporter.export(spans);
  }
}
