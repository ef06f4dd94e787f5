package io.servo.bench.micro;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.servo.core.task.TaskPayload;
import io.servo.telemetry.ServoTelemetry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
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
 * Inject and extract of one execution's trace context across the queue ({@link QueueHop}): into
 * the payload's {@code trace} at launch, out of it at hand-over and into the task's headers, out of
 * the signed header and the W3C header on the worker, and into the {@code http} asset's request. The spans involved already exist; their cost is {@link ExecutionSpansBenchmark}'s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PropagationBenchmark {
  @Param({"DISABLED", "UNSAMPLED", "SAMPLED"})
  public TracingMode mode;

  private ServoTelemetry telemetry;
  private TaskPayload payload;
  private Context enqueueExecution;
  private Context producer;
  private Context asset;

  @Setup(Level.Trial)
  public void start() {
    telemetry = mode.start("servo-orchestrator", new DiscardingSpanExporter());
    var tracer = telemetry.openTelemetry().getTracer("io.servo.bench");
    // Three live spans standing for orchestrator.enqueue_execution, cloud_tasks.enqueue and
    // worker.execute_asset; with tracing disabled they are the invalid span, as in the services.
    enqueueExecution = Context.root().with(tracer.spanBuilder("orchestrator.enqueue_execution").startSpan());
    producer = enqueueExecution.with(tracer.spanBuilder("cloud_tasks.enqueue").startSpan());
    asset = Context.root().with(tracer.spanBuilder("worker.execute_asset").startSpan());
    payload = new TaskPayload(1, "0b9f6c1e-7d2a-4d8e-9d7e-3a1f2c4b5d6e", "default", "bench_etl", 1,
        JsonNodeFactory.instance.objectNode().put("workflow", "bench_etl"), Instant.EPOCH, null);
  }

  @TearDown(Level.Trial)
  public void stop() {
    Span.fromContext(enqueueExecution).end();
    Span.fromContext(producer).end();
    Span.fromContext(asset).end();
    telemetry.shutdown(Duration.ofSeconds(5));
  }

  /** Everything one execution propagates; returns what the worker would parent its spans on. */
  @Benchmark
  public Object oneExecution() {
    TaskPayload committed = QueueHop.launch(enqueueExecution, payload);
    Context producerParent = QueueHop.producerParent(committed);
    Map<String, String> headers = new HashMap<>(8);
    // The producer span is a child of producerParent; it already exists (see the class comment).
    TaskPayload delivered = QueueHop.handOver(
        Span.fromContext(producerParent).getSpanContext().isValid() ? producer : producerParent,
        committed, headers);
    Map<String, List<String>> requestHeaders = new HashMap<>(8);
    headers.forEach((name, value) -> requestHeaders.put(name, List.of(value)));
    QueueHop.Delivered worker = QueueHop.deliver(delivered, requestHeaders);
    Map<String, String> outgoing = QueueHop.outgoing(asset);
    return outgoing.isEmpty() ? worker : outgoing;
  }
}
