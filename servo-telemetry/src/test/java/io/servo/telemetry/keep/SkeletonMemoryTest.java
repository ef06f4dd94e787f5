package io.servo.telemetry.keep;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The memory budget ({@code SERVO_TRACE_KEEP_BUFFER_BYTES}) is charged with {@link
 * TraceSkeleton#bytes()} when a skeleton is held and then with what {@link
 * TraceSkeleton#chargeGrowthTo} tells as it grows: an estimate. This measures what an orchestrator
 * request's held skeleton really takes at its end (the SERVER and launch parts it is held with,
 * then four statements and the hand-over, each part with its own detail object), as the bytes its
 * thread allocates to build it, and checks that what the budget was charged for it does not
 * undercount that, so that the budget bounds the real heap.
 */
class SkeletonMemoryTest {
  private static final int SKELETONS = 2_000;
  private static final Object SHAPE = new Object();

  @Test
  void whatTheBudgetIsChargedForAHeldSkeletonIsNoLessThanWhatItAllocatesByItsEnd() {
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    List<TraceSkeleton> kept = new ArrayList<>(SKELETONS);
    AtomicLong charged = new AtomicLong();
    for (int i = 0; i < SKELETONS; i++) {
      kept.add(heldOrchestratorRequest(charged)); // warm up, and the list's own growth, before measuring
    }
    kept.clear();
    charged.set(0);
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < SKELETONS; i++) {
      kept.add(heldOrchestratorRequest(charged));
    }
    long perSkeleton = (threads.getThreadAllocatedBytes(thread) - before) / SKELETONS;
    long perSkeletonCharged = charged.get() / SKELETONS;

    System.out.printf("a held seven-part skeleton allocates %d B by its end; the budget is charged %d B "
        + "(%d B when held)%n", perSkeleton, perSkeletonCharged, 160 + 2 * 128);
    assertThat(perSkeletonCharged).isEqualTo(kept.get(0).bytes());
    assertThat(perSkeleton).isLessThanOrEqualTo(perSkeletonCharged);
  }

  /** Noted in the order the orchestrator notes it; {@code charged} is told what a budget would be. */
  private static TraceSkeleton heldOrchestratorRequest(AtomicLong charged) {
    TraceSkeleton skeleton = new TraceSkeleton("4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000", true);
    int server = skeleton.open("POST /v1/workflows/{name}/executions", SpanKind.SERVER, "00f067aa0ba902b7");
    int launch = skeleton.open("orchestrator.enqueue_execution", SpanKind.INTERNAL, null);
    // Held here, before the launch commits; what follows is told as growth.
    charged.addAndGet(skeleton.chargeGrowthTo(charged::addAndGet));
    for (int s = 0; s < 4; s++) {
      skeleton.statement(System.nanoTime(), new Statement(skeleton, () -> SHAPE, System.nanoTime(), null, null));
    }
    skeleton.close(launch, new Part("orchestrator.enqueue_execution", null));
    int handOver = skeleton.openUnder(launch, "cloud_tasks.enqueue", SpanKind.PRODUCER, "1111111111111111");
    skeleton.close(handOver, new Part("cloud_tasks.enqueue", null));
    skeleton.close(server, new Part("POST /v1/workflows/{name}/executions", null));
    return skeleton;
  }

  /** As much as a statement's detail holds (servo-telemetry's SkeletonStatement, and its shape's supplier). */
  private record Statement(TraceSkeleton skeleton, Supplier<Object> shape, long startNanoTime, Throwable error,
      Object resolved) implements TraceSkeleton.Detail {
    @Override
    public String name() {
      return "INSERT servo.executions";
    }

    @Override
    public Attributes attributes() {
      return Attributes.empty();
    }
  }

  /** As much as the other parts' details hold (two references: the orchestrator's KeptParts records). */
  private record Part(String name, Object what) implements TraceSkeleton.Detail {
    @Override
    public Attributes attributes() {
      return Attributes.empty();
    }
  }
}
