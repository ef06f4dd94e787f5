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
    long first = ServoUnderTest.compilerCpuNanos();
    assertThat(first).isGreaterThanOrEqualTo(10_000_000L);
    long cpu = ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    assertThat(first).isLessThanOrEqualTo(cpu);
    assertThat(ServoUnderTest.compilerCpuNanos()).isGreaterThanOrEqualTo(first);
  }
}
