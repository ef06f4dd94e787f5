package io.servo.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.http.BoundedRequestExecutor.Load;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BoundedRequestExecutorTest {
  @Test
  void whenPoolAndQueueAreFullAnExchangeRunsOverloadedAndWhenTheOverflowIsFullTooOnTheCallerSaturated()
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    BoundedRequestExecutor executor = new BoundedRequestExecutor(1, 1, "test-http-");
    try {
      CountDownLatch running = new CountDownLatch(1);
      executor.execute(() -> {
        running.countDown();
        await(release);
      });
      assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
      AtomicReference<Load> queued = new AtomicReference<>();
      executor.execute(() -> queued.set(BoundedRequestExecutor.load()));

      // The overflow pool: its 2 threads blocked, then its queue filled.
      LinkedBlockingQueue<Load> overflowLoads = new LinkedBlockingQueue<>();
      CountDownLatch overflowRunning = new CountDownLatch(2);
      for (int i = 0; i < 2; i++) {
        executor.execute(() -> {
          overflowLoads.add(BoundedRequestExecutor.load());
          overflowRunning.countDown();
          await(release);
        });
      }
      assertThat(overflowRunning.await(5, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 64; i++) {
        executor.execute(() -> {});
      }

      Thread caller = Thread.currentThread();
      AtomicReference<Load> inline = new AtomicReference<>();
      AtomicReference<Thread> ranOn = new AtomicReference<>();
      executor.execute(() -> {
        inline.set(BoundedRequestExecutor.load());
        ranOn.set(Thread.currentThread());
      });

      assertThat(ranOn.get()).isSameAs(caller);
      assertThat(inline.get()).isEqualTo(Load.SATURATED);
      assertThat(BoundedRequestExecutor.load()).isEqualTo(Load.NORMAL);
      assertThat(new ArrayList<>(overflowLoads)).containsExactly(Load.OVERLOADED, Load.OVERLOADED);
      assertThat(executor.inFlight()).isEqualTo(1 + 1 + 2 + 64);

      release.countDown();
      assertThat(executor.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(queued.get()).isEqualTo(Load.NORMAL);
    } finally {
      release.countDown();
      executor.close();
    }
  }

  @Test
  void awaitIdleReturnsWhenTheLastExchangeEndsAndCloseInterruptsWhatOutlivesTheGrace() throws Exception {
    BoundedRequestExecutor executor = new BoundedRequestExecutor(2, 1, "test-http-");
    CountDownLatch running = new CountDownLatch(1);
    List<Boolean> interrupted = new ArrayList<>();
    CountDownLatch ended = new CountDownLatch(1);
    executor.execute(() -> {
      running.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        synchronized (interrupted) {
          interrupted.add(true);
        }
      }
      ended.countDown();
    });
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();

    assertThat(executor.awaitIdle(Duration.ZERO)).isFalse();
    executor.close();

    assertThat(ended.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(interrupted).containsExactly(true);
    assertThat(executor.awaitIdle(Duration.ofSeconds(5))).isTrue();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
