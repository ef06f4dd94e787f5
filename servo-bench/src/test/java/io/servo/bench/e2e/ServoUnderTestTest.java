package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class ServoUnderTestTest {

  @Test
  @EnabledOnOs(OS.LINUX)
  void readsTheCpuTimeOfThisJvmsJitCompilerThreads() {
    // Starting this JVM and JUnit compiled thousands of methods: far more than one 10 ms tick.
    long first = ServoUnderTest.jitAndGcCpuNanos()[0];
    assertThat(first).isGreaterThanOrEqualTo(10_000_000L);
    long cpu = ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    assertThat(first).isLessThanOrEqualTo(cpu);
    assertThat(ServoUnderTest.jitAndGcCpuNanos()[0]).isGreaterThanOrEqualTo(first);
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void readsTheCollectorsCpuInNanosecondsNotTicks() {
    for (int i = 0; i < 20; i++) {
      byte[][] garbage = new byte[1024][];
      for (int j = 0; j < garbage.length; j++) {
        garbage[j] = new byte[16 * 1024];
      }
    }
    System.gc();
    long[] jitAndGc = ServoUnderTest.jitAndGcCpuNanos();
    assertThat(jitAndGc[1]).isPositive();
    // schedstat counts nanoseconds: a sum of tick counts would be a multiple of 10 ms.
    assertThat(jitAndGc[0] % 10_000_000L != 0 || jitAndGc[1] % 10_000_000L != 0).isTrue();
  }

  @Test
  void allocationCountsThreadsThatEndedSinceTheyWereLastSeen() throws InterruptedException {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.Map<Long, Long> lastSeen = new java.util.HashMap<>();
    java.util.concurrent.CountDownLatch allocated = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
    Thread worker = new Thread(() -> {
      byte[][] kept = new byte[64][];
      for (int i = 0; i < kept.length; i++) {
        kept[i] = new byte[64 * 1024];
      }
      allocated.countDown();
      try {
        end.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    worker.start();
    allocated.await();
    long whileAlive = ServoUnderTest.allocatedBytes(threads, lastSeen);
    end.countDown();
    worker.join();

    assertThat(ServoUnderTest.allocatedBytes(threads, lastSeen)).isGreaterThanOrEqualTo(whileAlive);
    assertThat(lastSeen).containsKey(worker.getId());
    assertThat(lastSeen.get(worker.getId())).isGreaterThanOrEqualTo(64L * 64 * 1024);
  }
}
