package io.servo.bench.coldstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.bench.coldstart.ColdStartBenchmark.Start;
import io.servo.bench.coldstart.ServiceLauncher.ColdStart;
import io.servo.bench.e2e.Configuration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ColdStartBenchmarkTest {
  private static final Start WORKER_A = new Start(Service.WORKER, Configuration.DISABLED, false);
  private static final Start WORKER_C = new Start(Service.WORKER, Configuration.SERVO_100PCT, false);
  private static final Start WORKER_D = new Start(Service.WORKER, Configuration.AGENT_100PCT, false);

  @Test
  void everyRoundStartsEveryServiceUnderEveryConfigurationOnceTheAgentEverySecondRound() {
    List<List<Start>> schedule = ColdStartBenchmark.schedule(new ColdStartBenchmark.Effort(6, 2), 6);

    assertThat(schedule).hasSize(7); // the warm-up round and 6 measured
    for (int round = 0; round < schedule.size(); round++) {
      List<Start> starts = schedule.get(round);
      assertThat(new HashSet<>(starts)).as("round %d", round).hasSameSizeAs(starts);
      // per service: (a), (c), (d) every second round, and (a) and (c) with the archive
      assertThat(starts).as("round %d", round).hasSize(round % 2 == 0 ? 10 : 8);
      assertThat(starts.stream().anyMatch(s -> s.configuration().agent())).isEqualTo(round % 2 == 0);
      assertThat(starts.stream().filter(Start::archived).map(s -> s.service() + "/" + s.configuration().label()))
          .as("round %d", round)
          .containsExactlyInAnyOrder("worker/a", "worker/c", "orchestrator/a", "orchestrator/c");
    }
  }

  @Test
  void theOrderIsShuffledPerRoundAndTheSameForTheSameSeed() {
    ColdStartBenchmark.Effort effort = new ColdStartBenchmark.Effort(25, 1);
    List<List<Start>> schedule = ColdStartBenchmark.schedule(effort, 6);

    Set<List<Start>> orders = new HashSet<>(schedule);
    assertThat(orders).hasSizeGreaterThan(20);
    assertThat(ColdStartBenchmark.schedule(effort, 6)).isEqualTo(schedule);
    assertThat(ColdStartBenchmark.schedule(effort, 7)).isNotEqualTo(schedule);
  }

  @Test
  void figuresLeaveOutTheWarmUpRoundAndPairEachStartWithTheBaselineOfItsRound() {
    Map<Start, SortedMap<Integer, ColdStart>> starts = new LinkedHashMap<>();
    for (Service service : Service.values()) {
      for (Configuration c : ColdStartBenchmark.CONFIGURATIONS) {
        starts.put(new Start(service, c, false), new TreeMap<>());
      }
      for (Configuration c : ColdStartBenchmark.ARCHIVED) {
        starts.put(new Start(service, c, true), new TreeMap<>());
      }
    }
    long[] baseline = {9_000, 2_000, 2_400, 2_200, 2_600, 2_800, 2_100}; // ms by round; round 0 is slow
    long[] tracing = {9_500, 2_050, 2_500, 2_210, 2_640, 2_900, 2_130};
    for (int round = 0; round < baseline.length; round++) {
      for (Service service : Service.values()) {
        // CPU: 3 s without tracing; tracing costs 200 ms of CPU in every round but one, which did not tell.
        starts.get(new Start(service, Configuration.DISABLED, false)).put(round, start(baseline[round], 3_000));
        starts.get(new Start(service, Configuration.SERVO_100PCT, false)).put(round, start(tracing[round], round == 3 ? -1 : 3_200));
        if (round % 2 == 0) {
          starts.get(new Start(service, Configuration.AGENT_100PCT, false)).put(round, start(baseline[round] + 7_000, 15_000));
        }
        // The archive saves 500 ms (a) and 480 ms (c) of each start, and 700 ms of CPU.
        starts.get(new Start(service, Configuration.DISABLED, true)).put(round, start(baseline[round] - 500, 2_300));
        starts.get(new Start(service, Configuration.SERVO_100PCT, true)).put(round, start(tracing[round] - 480, 2_500));
      }
    }

    List<ColdStartBenchmark.Figures> figures = ColdStartBenchmark.figures(starts);
    ColdStartBenchmark.Result result = new ColdStartBenchmark.Result(ColdStartBenchmark.Effort.QUICK, 6, figures,
        Map.of());

    ColdStartBenchmark.Figures a = result.of(Service.WORKER, WORKER_A.configuration());
    assertThat(a.starts()).isEqualTo(6);
    assertThat(a.medianMillis()).isEqualTo(2_300); // (2200 + 2400) / 2, round 0 left out
    assertThat(a.minMillis()).isEqualTo(2_000);
    assertThat(a.maxMillis()).isEqualTo(2_800);
    assertThat(a.p10Millis()).isEqualTo(2_000); // nearest rank: the 1st of 6
    assertThat(a.p90Millis()).isEqualTo(2_800); // the 6th of 6
    assertThat(a.delta().n()).isZero();

    ColdStartBenchmark.Figures c = result.of(Service.WORKER, WORKER_C.configuration());
    // Δ by round: 50, 100, 10, 40, 100, 30; the difference of the medians would be 2355 - 2300 = 55.
    assertThat(c.medianMillis()).isEqualTo(2_355);
    assertThat(c.delta().median()).isEqualTo(45);
    assertThat(c.delta().low()).isEqualTo(10);
    assertThat(c.delta().high()).isEqualTo(100);
    assertThat(c.cpuMedianMillis()).isEqualTo(3_200);
    assertThat(c.cpuDelta().n()).isEqualTo(5);
    assertThat(c.cpuDelta().median()).isEqualTo(200);

    ColdStartBenchmark.Figures d = result.of(Service.WORKER, WORKER_D.configuration());
    assertThat(d.starts()).isEqualTo(3); // rounds 2, 4 and 6
    assertThat(d.delta().median()).isEqualTo(7_000);
    assertThat(d.delta().coverage()).isEqualTo(0.75);

    assertThat(ColdStartBenchmark.deltaLine(result)).isEqualTo("coldstart_delta_ms "
        + "worker: tracing=+45 [+10, +100] agent=+7000 [+7000, +7000]; "
        + "orchestrator: tracing=+45 [+10, +100] agent=+7000 [+7000, +7000]");
    assertThat(ColdStartBenchmark.table(result))
        .contains("| worker | (c) Servo tracing, rate 1.0 | 6 | 2355 | 2050–2900 | 2050–2900 | +45 | [+10, +100] (96.9%) "
            + "| 3200 | +200 [+200, +200] | — | — |")
        .contains("| worker | (d) Java agent 2.31.1, rate 1.0 | 3 | 9400 | 9100–9600 | 9100–9600 | +7000 "
            + "| [+7000, +7000] (75.0%, too few pairs for 95%) | 15000 | +12000 [+12000, +12000] | — | — |")
        .contains("| worker | (a) tracing disabled + CDS archive | 6 | 1800 | 1500–2300 | 1500–2300 | — | — | 2300 | — "
            + "| -500 [-500, -500] | -700 [-700, -700] |");

    ColdStartBenchmark.Figures archivedC = result.of(Service.WORKER, Configuration.SERVO_100PCT, true);
    // Tracing's cost with the archive, paired with (a) with the archive: 20 ms more than without it.
    assertThat(archivedC.delta().median()).isEqualTo(65);
    assertThat(archivedC.archiveDelta().median()).isEqualTo(-480);
    assertThat(archivedC.archiveCpuDelta().n()).isEqualTo(5); // round 3 without CPU time left out
    assertThat(ColdStartBenchmark.archiveLine(result)).isEqualTo("coldstart_cds_ms "
        + "worker: a=-500 [-500, -500] a_cpu=-700 [-700, -700] c=-480 [-480, -480] c_cpu=-700 [-700, -700] "
        + "tracing_with_cds=+65 [+30, +120]; "
        + "orchestrator: a=-500 [-500, -500] a_cpu=-700 [-700, -700] c=-480 [-480, -480] c_cpu=-700 [-700, -700] "
        + "tracing_with_cds=+65 [+30, +120]");
  }

  private static ColdStart start(long wallMillis, long cpuMillis) {
    return new ColdStart(wallMillis * 1_000_000, cpuMillis < 0 ? -1 : cpuMillis * 1_000_000);
  }
}
