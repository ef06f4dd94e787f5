package io.servo.bench.micro;

import io.servo.telemetry.ServoTelemetry;
import java.time.Duration;
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
 * The full set of spans one execution creates ({@link ExecutionTrace}, 35 spans over two SDKs),
 * through {@link ServoTelemetry} as the services start it: ParentBased(TraceIdRatioBased) sampler,
 * a bounded {@code BatchSpanProcessor} per SDK, redaction, and an exporter that discards. The batch
 * processor's thread (redaction, export) runs beside the benchmark thread; its allocations are in
 * {@code gc.alloc.rate.norm}, which counts every thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ExecutionSpansBenchmark {
  @Param({"DISABLED", "UNSAMPLED", "SAMPLED"})
  public TracingMode mode;

  private ServoTelemetry orchestrator;
  private ServoTelemetry worker;
  private DiscardingSpanExporter sink;
  private ExecutionTrace trace;
  private long executions;

  @Setup(Level.Trial)
  public void start() {
    // The SDK warns on every drop; the tear-down prints the count instead.
    java.util.logging.Logger.getLogger("io.opentelemetry.sdk.trace.export.BatchSpanProcessor")
        .setLevel(java.util.logging.Level.OFF);
    sink = new DiscardingSpanExporter();
    orchestrator = mode.start("servo-orchestrator", sink);
    worker = mode.start("servo-worker", sink);
    trace = new ExecutionTrace(orchestrator.openTelemetry(), worker.openTelemetry());
  }

  @TearDown(Level.Trial)
  public void stop() {
    orchestrator.forceFlush(Duration.ofSeconds(10));
    worker.forceFlush(Duration.ofSeconds(10));
    long dropped = orchestrator.droppedSpans() + worker.droppedSpans();
    orchestrator.shutdown(Duration.ofSeconds(10));
    worker.shutdown(Duration.ofSeconds(10));
    long created = mode == TracingMode.SAMPLED ? executions * ExecutionTrace.SPANS : 0;
    // A tight loop outruns the batch processors' bounded queues; dropped spans skip redaction and
    // export, so say how many there were next to the figures.
    System.out.printf("%n[execution spans] %s: %d executions, %d spans recorded, %d exported, %d dropped%n",
        mode, executions, created, sink.exported(), dropped);
  }

  /**
   * One execution's spans, created and ended: the work on the threads that serve the execution.
   * A loop this tight outruns the batch processors, so at SAMPLED most spans are dropped rather than
   * redacted and exported (the tear-down prints how many); {@link ExecutionSpansInlineBenchmark}
   * measures the whole cost.
   */
  @Benchmark
  public Object oneExecution() {
    executions++;
    return trace.run();
  }
}
