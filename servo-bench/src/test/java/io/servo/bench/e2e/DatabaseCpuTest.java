package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DatabaseCpuTest {
  @Test
  void aBackendCountsWhatItUsedSinceItsLastReading() {
    assertThat(DatabaseCpu.since(new DatabaseCpu.Reading(500, 2_000), 500, 2_600)).isEqualTo(600);
  }

  @Test
  void aBackendSeenForTheFirstTimeCountsFromItsStart() {
    assertThat(DatabaseCpu.since(null, 500, 2_600)).isEqualTo(2_600);
  }

  /** Until 2026-12-07 the earlier process's reading was subtracted, and a slice's CPU went negative. */
  @Test
  void aNewProcessWithAnEarlierBackendsPidCountsFromItsOwnStart() {
    assertThat(DatabaseCpu.since(new DatabaseCpu.Reading(500, 9_000_000_000L), 731_004, 2_300_000_000L))
        .isEqualTo(2_300_000_000L);
  }

  @Test
  void thisProcessHasAStartTimeAndItIsStable() {
    Path self = Path.of("/proc/self");
    long started = ProcCpu.startTicks(self);
    assertThat(started).isPositive().isEqualTo(ProcCpu.startTicks(self));
    assertThat(ProcCpu.startTicks(Path.of("/proc/not-a-pid"))).isEqualTo(-1);
  }
}
