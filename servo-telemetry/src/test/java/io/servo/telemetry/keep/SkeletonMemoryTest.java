package io.servo.telemetry.keep;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory budget ({@code SERVO_TRACE_KEEP_BUFFER_BYTES}) is charged with {@link
 * TraceSkeleton#bytes()}, an estimate: this measures what a skeleton shaped like an orchestrator
 * request's (seven parts) really takes, as the bytes its thread allocates to build it, and checks
 * the estimate does not undercount it, so that the budget bounds the real heap.
 */
class SkeletonMemoryTest {
  private static final int SKELETONS = 2_000;

  @Test
  void theEstimateChargedToTheBudgetIsNoLessThanWhatASkeletonAllocates() {
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    List<TraceSkeleton> kept = new ArrayList<>(SKELETONS);
    for (int i = 0; i < SKELETONS; i++) {
      kept.add(orchestratorShaped()); // warm up, and the list's own growth, before measuring
    }
    kept.clear();
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < SKELETONS; i++) {
      kept.add(orchestratorShaped());
    }
    long perSkeleton = (threads.getThreadAllocatedBytes(thread) - before) / SKELETONS;

    long estimate = kept.get(0).bytes();
    System.out.printf("a seven-part skeleton allocates %d B; the budget is charged %d B%n", perSkeleton, estimate);
    assertThat(perSkeleton).isLessThanOrEqualTo(estimate);
  }

  private static TraceSkeleton orchestratorShaped() {
    TraceSkeleton skeleton = new TraceSkeleton("4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000", true);
    int server = skeleton.open("POST /v1/workflows/{name}/executions", SpanKind.SERVER, "00f067aa0ba902b7");
    int launch = skeleton.open("orchestrator.enqueue_execution", SpanKind.INTERNAL, null);
    for (int s = 0; s < 4; s++) {
      skeleton.statement(System.nanoTime(), DETAIL);
    }
    skeleton.close(launch, DETAIL);
    int handOver = skeleton.openUnder(launch, "cloud_tasks.enqueue", SpanKind.PRODUCER, "1111111111111111");
    skeleton.close(handOver, DETAIL);
    skeleton.close(server, DETAIL);
    return skeleton;
  }

  private static final TraceSkeleton.Detail DETAIL = new TraceSkeleton.Detail() {
    @Override
    public String name() {
      return "x";
    }

    @Override
    public Attributes attributes() {
      return Attributes.empty();
    }
  };
}
