package io.servo.bench.micro;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.servo.telemetry.ServoTelemetry;
import java.time.Duration;
import java.util.Map;
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
 * The worker's flush before each answer, as on Cloud Run ({@code SERVO_TRACE_FLUSH_ON_RESPONSE},
 * on there by default): one request's SERVER span ends, then {@link
 * ServoTelemetry#flushOnResponse()} runs before the response is written. Sampled, the span must
 * reach the exporter first (the batch processor's thread exports it); unsampled or disabled, there
 * is nothing to wait for, and the flush should cost next to nothing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ResponseFlushBenchmark {
  @Param({"DISABLED", "UNSAMPLED", "SAMPLED"})
  public TracingMode mode;

  private ServoTelemetry telemetry;
  private Tracer tracer;

  @Setup(Level.Trial)
  public void start() {
    telemetry = mode.start("servo-worker", new DiscardingSpanExporter(),
        Map.of("SERVO_TRACE_FLUSH_ON_RESPONSE", "true"));
    tracer = telemetry.openTelemetry().getTracer("io.servo.bench");
  }

  @TearDown(Level.Trial)
  public void stop() {
    telemetry.shutdown(Duration.ofSeconds(5));
  }

  /** One request's span, then the flush before its answer; returns whether the flush completed. */
  @Benchmark
  public boolean oneResponse() {
    tracer.spanBuilder("POST /execute").setSpanKind(SpanKind.SERVER).startSpan().end();
    return telemetry.flushOnResponse();
  }
}
