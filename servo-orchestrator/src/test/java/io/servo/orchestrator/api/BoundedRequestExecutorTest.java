package io.servo.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class BoundedRequestExecutorTest {
  @Test
  void runsAnExchangeMarkedOverloadedWhenPoolAndQueueAreFull() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean queuedSawOverload = new AtomicBoolean(true);
    try (BoundedRequestExecutor executor = BoundedRequestExecutor.create(1, 1)) {
      executor.execute(() -> {
        running.countDown();
        await(release);
      });
      assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
      executor.execute(() -> queuedSawOverload.set(BoundedRequestExecutor.overloaded()));

      AtomicBoolean rejectedSawOverload = new AtomicBoolean();
      Thread caller = Thread.currentThread();
      AtomicBoolean ranInline = new AtomicBoolean();
      executor.execute(() -> {
        rejectedSawOverload.set(BoundedRequestExecutor.overloaded());
        ranInline.set(Thread.currentThread() == caller);
      });

      assertThat(ranInline).isTrue();
      assertThat(rejectedSawOverload).isTrue();
      assertThat(BoundedRequestExecutor.overloaded()).isFalse();
      release.countDown();
    }
    assertThat(queuedSawOverload).isFalse();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
