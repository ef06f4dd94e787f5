package io.servo.orchestrator.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.servo.storage.ExecutionStore;
import io.servo.telemetry.config.TraceKeepConfig;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.telemetry.redaction.Redactor;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory budget of held skeletons ({@code SERVO_TRACE_KEEP_BUFFER_BYTES}) bounds them as they
 * are at the end, not as they were when held: a launch is held before it commits, and its
 * statements and hand-over are noted after that.
 */
class KeptTracesTest {
  /** A held orchestrator request at its end: SERVER, launch, four statements, hand-over. */
  private static final long ENTRY = 160 + 7 * 128 + KeptTraces.ENTRY_BYTES;
  private static final TraceSkeleton.Detail STATEMENT = new TraceSkeleton.Detail() {
    @Override
    public String name() {
      return "INSERT servo.executions";
    }

    @Override
    public io.opentelemetry.api.common.Attributes attributes() {
      return io.opentelemetry.api.common.Attributes.empty();
    }
  };

  private final TraceKeep keep = TraceKeep.create(TraceKeepConfig.ERRORS.withBufferBytes(10 * ENTRY),
      List.of(SimpleSpanProcessor.create(InMemorySpanExporter.create())), Resource.empty(), IdGenerator.random(),
      Clock.systemUTC(), "servo-orchestrator", Redactor.create(List.of()));
  private final ExecutionStore store = (ExecutionStore) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {ExecutionStore.class}, (proxy, method, args) -> {
        throw new UnsupportedOperationException(method.getName());
      });

  @Test
  void skeletonsThatGrowAfterTheyAreHeldStayWithinTheBudgetAndTheOldestAreGivenUp() {
    KeptTraces kept = new KeptTraces(keep, store, Duration.ofHours(1), Clock.systemUTC());
    List<TraceSkeleton> launched = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      launched.add(launch(kept, i));
    }

    System.out.printf("budget %d B: %d held, charged %d B, %d given up%n", 10 * ENTRY, kept.heldExecutions(),
        kept.heldBytes(), keep.overBudgetTraces());
    assertThat(kept.heldExecutions()).as("what 10 finished entries' worth holds").isEqualTo(10);
    assertThat(keep.overBudgetTraces()).as("given up for memory, counted").isEqualTo(10);
    long estimate = 0;
    for (TraceSkeleton skeleton : launched) {
      if (kept.held(skeleton.traceId()) != null) {
        estimate += skeleton.bytes() + KeptTraces.ENTRY_BYTES;
      }
    }
    assertThat(kept.heldBytes()).as("charged, against the held skeletons' own estimate")
        .isGreaterThanOrEqualTo(estimate).isLessThanOrEqualTo(10 * ENTRY);
    // Oldest first: the last ten launched are the ones still held.
    for (int i = 0; i < launched.size(); i++) {
      assertThat(kept.held(launched.get(i).traceId()) != null).as("launch %d held", i).isEqualTo(i >= 10);
    }
  }

  @Test
  void aSkeletonGivenUpWhileItGrowsIsNoLongerCharged() {
    KeptTraces kept = new KeptTraces(keep, store, Duration.ofHours(1), Clock.systemUTC());
    TraceSkeleton first = launch(kept, 0);
    for (int i = 1; i < 10; i++) {
      launch(kept, i);
    }
    assertThat(kept.heldExecutions()).isEqualTo(10);
    // The oldest grows once more (a second hand-over attempt): it is the one given up.
    first.openUnder(1, ServoSpans.CLOUD_TASKS_ENQUEUE, SpanKind.PRODUCER, "2222222222222222");
    assertThat(kept.held(first.traceId())).isNull();
    assertThat(kept.heldBytes()).isEqualTo(9 * ENTRY);
    first.openUnder(1, ServoSpans.CLOUD_TASKS_ENQUEUE, SpanKind.PRODUCER, "3333333333333333");
    assertThat(kept.heldBytes()).isEqualTo(9 * ENTRY);
    assertThat(keep.overBudgetTraces()).isEqualTo(1);
  }

  /** What TracingExecutionLauncher and HandOverSpans note of one unsampled launch, in their order. */
  private static TraceSkeleton launch(KeptTraces kept, int i) {
    TraceSkeleton skeleton = new TraceSkeleton(String.format("%032x", i + 1), "0000000000000000", true);
    int server = skeleton.open("POST /v1/workflows/{name}/executions", SpanKind.SERVER, "00f067aa0ba902b7");
    int launch = skeleton.open(ServoSpans.ENQUEUE_EXECUTION, SpanKind.INTERNAL, null);
    kept.hold(skeleton, launch); // before the launch commits
    for (int s = 0; s < 4; s++) {
      skeleton.statement(System.nanoTime(), STATEMENT);
    }
    skeleton.close(launch, STATEMENT);
    kept.bind(skeleton.traceId(), "execution-" + i);
    int handOver = skeleton.openUnder(launch, ServoSpans.CLOUD_TASKS_ENQUEUE, SpanKind.PRODUCER, "1111111111111111");
    skeleton.close(handOver, STATEMENT);
    skeleton.close(server, STATEMENT);
    return skeleton;
  }
}
