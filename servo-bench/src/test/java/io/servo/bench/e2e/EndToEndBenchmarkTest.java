package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The end-to-end report from figures made up here; no child runs. */
class EndToEndBenchmarkTest {

  @Test
  void keepIsReportedAgainstAAndAgainstBWithTheBudgetNextToIt() {
    String keep = EndToEndBenchmark.keepTable(figures(2.2));

    assertThat(keep.lines()).contains(
        "| (bk) Servo tracing, rate 0.01, keep errors | CPU less JIT | alloc per execution | budget over (b) per successful execution |",
        "| against (a) | 1.020 [0.990, 1.050] | 1.045 [1.035, 1.055] (+13.5 KB) | |",
        "| against (b) | 1.004 [1.000, 1.008] (+0.4%) | 1.010 [1.005, 1.015] (+3174 B [+1587, +4762]) | CPU less JIT "
            + "≤ +1%: within, interval too; allocation ≤ +4 KB: point estimate within, interval up to +4762 B |",
        "| against (b), median of the pairs | 1.004 [1.000, 1.008] (87.5%) | 1.010 [1.005, 1.015] (87.5%) | |");
    assertThat(keep)
        .contains("Over all executions: 5.0% of (bk)'s failed (5.0% of (b)'s), and (bk) exports their kept traces; "
            + "so these figures bound from above what a successful execution pays. The budget is reported, not enforced.")
        .contains("OTLP spans per execution: (b) 0.35, (bk) 2.20, (c) 38.00. (bk) exported +1.85, 37.0 per failed "
            + "execution: a kept trace has the parts the services noted")
        .doesNotContain("ignore SERVO_TRACE_KEEP");
  }

  @Test
  void servicesThatIgnoreKeepExportNoMoreThanBAndTheReportSaysSo() {
    String keep = EndToEndBenchmark.keepTable(figures(0.36));

    assertThat(keep).contains("(bk) exported +0.01, 0.2 per failed execution")
        .contains("(bk) kept far fewer: the services ignore SERVO_TRACE_KEEP");
  }

  @Test
  void aKeptTraceOfAboutFifteenSpansPerFailureIsEveryFailureKept() {
    // The quick run of 2026-12-07: (b) 0.40, (bk) 1.14 spans per execution, 5% failing.
    String keep = EndToEndBenchmark.keepTable(figures(0.35 + 0.74));

    assertThat(keep).contains("(bk) exported +0.74, 14.8 per failed execution").doesNotContain("kept far fewer");
  }

  @Test
  void theMainTableCountsFailedExecutionsPerConfiguration() {
    String table = EndToEndBenchmark.table(figures(2.2));

    assertThat(table).contains("| executions | failed |")
        .contains("| 400 | 20 (5.0%) |")
        .contains("| CPU less JIT vs (a) | PostgreSQL CPU ms/exec | PostgreSQL CPU vs (a) |")
        .contains("| 1.000 | 2.50 | 1.000 |")
        .contains("(bk) Servo tracing, rate 0.01, keep errors");
  }

  @Test
  void failuresAsPlannedAreNoProblem() {
    // 1000 executions in all (warm-up and rounds), 600 of them measured; the database agrees.
    long planned = FailureMix.BENCHMARK.failuresBetween(0, 1000);

    assertThat(EndToEndBenchmark.failureProblem(FailureMix.BENCHMARK, 600, 30, 0, 1000,
        Map.of("FAILED", planned, "SUCCEEDED", 1000 - planned))).isEmpty();
    assertThat(EndToEndBenchmark.failureProblem(FailureMix.BENCHMARK, 600, 31, 0, 1000, Map.of()))
        .as("rounding, and a database that could not be counted").isEmpty();
  }

  @Test
  void aShareOtherThanFivePercentOrAnExecutionThatEndedOtherwiseIsAProblem() {
    long planned = FailureMix.BENCHMARK.failuresBetween(0, 1000);

    assertThat(EndToEndBenchmark.failureProblem(FailureMix.BENCHMARK, 600, 0, 30, 1000, Map.of()))
        .isEqualTo("30 measured executions did not end as planned (a planned failure succeeded, or an execution "
            + "planned to succeed did not); 0 of 600 measured executions failed (0.0%), not 1 in 20 (5%)");
    assertThat(EndToEndBenchmark.failureProblem(FailureMix.BENCHMARK, 600, 30, 0, 1000,
        Map.of("FAILED", planned, "SUCCEEDED", 1000 - planned - 1, "RUNNING", 1L)))
        .startsWith("executions by state ")
        .endsWith("planned " + planned + " failed and " + (1000 - planned) + " succeeded");
  }

  @Test
  void theWidthsOfTheIntervalsArePrintedAndSayWhenTheyCannotShowOnePercent() {
    List<EndToEndBenchmark.Figures> wide = figures(2.2);
    wide.set(Configuration.SERVO_1PCT.ordinal(), withServingCpu(wide.get(Configuration.SERVO_1PCT.ordinal()),
        interval(1.004, 0.031)));

    assertThat(EndToEndBenchmark.intervalWidths(wide))
        .startsWith("95% intervals of CPU less JIT per execution, against (a), over 12 paired slices: "
            + "(a2) no interval, (b) ±3.1 pp, (bk) ±3.0 pp (per execution, against (b) ±0.4 pp), (c) no interval")
        .endsWith("(b)'s is 3.1 times as wide as the ±1 pp its budgets need: this run cannot show an effect of 1% "
            + "(--thorough measures longer).");

    List<EndToEndBenchmark.Figures> narrow = figures(2.2);
    narrow.set(Configuration.SERVO_1PCT.ordinal(), withServingCpu(narrow.get(Configuration.SERVO_1PCT.ordinal()),
        interval(1.004, 0.008)));
    assertThat(EndToEndBenchmark.intervalWidths(narrow)).contains("(b) ±0.8 pp")
        .endsWith("(b)'s is within the ±1 pp its budgets need.");
  }

  /**
   * The thorough runs of 2026-12-07 with 150 blocks put the control +2.1% and +2.5% off (a) with
   * intervals of ±1 pp that excluded 0; the report said (b)'s ±1.0 pp was what its budget needed.
   * (The cause turned out to be the workload, whose SQL read by time while the children were stopped
   * in turn: {@code BenchWorkflowTest}. A control off (a) is what any such cause looks like.)
   */
  @Test
  void aControlOffTheBaselineBeyondItsIntervalIsReportedAsTheRealLimit() {
    List<EndToEndBenchmark.Figures> figures = figures(2.2);
    int control = Configuration.DISABLED_CONTROL.ordinal();
    figures.set(Configuration.SERVO_1PCT.ordinal(), withServingCpu(figures.get(Configuration.SERVO_1PCT.ordinal()),
        interval(1.037, 0.009)));
    figures.set(control, withServingCpu(figures.get(control), interval(1.025, 0.010)));

    assertThat(EndToEndBenchmark.intervalWidths(figures))
        .contains("(b)'s is within the ±1 pp its budgets need.")
        .endsWith(" But the control (a2), (a)'s code in a second JVM, is +2.5% [+1.5%, +3.5%] off (a): two children "
            + "of the same code differ by more than these intervals, which hold only the slices' noise (their JVMs, "
            + "their databases, or a load that is not the same for both), so no ratio here is known to better than "
            + "about 2.5 pp.");

    figures.set(control, withServingCpu(figures.get(control), interval(1.004, 0.010)));
    assertThat(EndToEndBenchmark.intervalWidths(figures)).doesNotContain("control");
  }

  @Test
  void theOverheadIsCorrectedByPostgresqlsCpuWhenThatIsKnownAndSaysSo() {
    List<EndToEndBenchmark.Figures> figures = figures(2.2);
    EndToEndBenchmark.Figures b = figures.get(Configuration.SERVO_1PCT.ordinal());
    PairedRatio corrected = interval(1.006, 0.009);
    figures.set(Configuration.SERVO_1PCT.ordinal(), withCorrected(withServingCpu(b, interval(1.004, 0.031)),
        corrected));

    assertThat(figures.get(Configuration.SERVO_1PCT.ordinal()).overhead()).isSameAs(corrected);
    assertThat(EndToEndBenchmark.intervalWidths(figures))
        .startsWith("95% intervals of CPU less JIT per PostgreSQL CPU, against (a), over 12 paired slices: ")
        .contains("(b) ±0.9 pp")
        .endsWith("(b)'s is within the ±1 pp its budgets need.");
    assertThat(EndToEndBenchmark.table(figures)).contains("| 1.006 [0.997, 1.015] |");
  }

  @Test
  void slicesThatMeasuredTheDatabaseCorrectTheCpuByItsCpuInTheSameSlice() {
    // (a) and (b) cost the same per execution; the machine was 20% slower during (b)'s second
    // slice, and PostgreSQL's CPU for it shows that: corrected, the ratio is 1, per execution it is not.
    List<LoadWindow.Result> a = List.of(slice(100, 700_000_000L, 600_000_000L), slice(100, 700_000_000L, 600_000_000L));
    List<LoadWindow.Result> b = List.of(slice(100, 700_000_000L, 600_000_000L), slice(100, 840_000_000L, 720_000_000L));

    PairedRatio perExecution = PairedRatio.of(EndToEndBenchmark.pairs(b, a, LoadWindow.Result::servingCpuNanos,
        LoadWindow.Result::executions));
    PairedRatio corrected = PairedRatio.of(EndToEndBenchmark.pairs(b, a, LoadWindow.Result::servingCpuNanos,
        LoadWindow.Result::databaseCpuNanos));

    assertThat(perExecution.ratio()).isCloseTo(1.1, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(corrected.ratio()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void aBlockMeasuresTheBaselineHeadSamplingAndTheControlTwiceAndEveryOtherConfigurationOnce() {
    assertThat(EndToEndBenchmark.blockSequence(Configuration.defaults().toArray(new Configuration[0]))).hasSize(10)
        .containsOnlyOnce(Configuration.SERVO_1PCT_KEEP, Configuration.SERVO_100PCT,
            Configuration.AGENT_100PCT, Configuration.AGENT_1PCT)
        .filteredOn(c -> c == Configuration.DISABLED || c == Configuration.SERVO_1PCT
            || c == Configuration.DISABLED_CONTROL).hasSize(6);
    assertThat(EndToEndBenchmark.blockSequence(
        new Configuration[] {Configuration.DISABLED, Configuration.DISABLED_CONTROL}))
        .containsExactly(Configuration.DISABLED, Configuration.DISABLED_CONTROL);
    assertThat(EndToEndBenchmark.blockSequence(new Configuration[] {Configuration.DISABLED,
        Configuration.DISABLED_CONTROL, Configuration.SERVO_1PCT, Configuration.SERVO_1PCT_SECOND}))
        .hasSize(8).containsOnly(Configuration.DISABLED, Configuration.DISABLED_CONTROL, Configuration.SERVO_1PCT,
            Configuration.SERVO_1PCT_SECOND)
        .filteredOn(c -> c == Configuration.SERVO_1PCT_SECOND).hasSize(2);
  }

  @Test
  void noChildRunsTwoSlicesInARowWithinABlockOrAcrossBlocks() {
    for (Configuration[] measured : List.of(Configuration.values(),
        new Configuration[] {Configuration.DISABLED, Configuration.DISABLED_CONTROL, Configuration.SERVO_1PCT})) {
      List<Configuration> sequence = EndToEndBenchmark.blockSequence(measured);
      Random random = new Random(42);
      List<Configuration> run = new ArrayList<>();
      Map<Configuration, Integer> first = new EnumMap<>(Configuration.class);
      for (int block = 0; block < 500; block++) {
        EndToEndBenchmark.shuffleApart(sequence, run.isEmpty() ? null : run.get(run.size() - 1), random);
        first.merge(sequence.get(0), 1, Integer::sum);
        run.addAll(sequence);
      }
      for (int i = 1; i < run.size(); i++) {
        assertThat(run.get(i)).as("slice %d of %s", i, run).isNotEqualTo(run.get(i - 1));
      }
      // Still shuffled: every configuration opens some block.
      assertThat(first.keySet()).containsExactlyInAnyOrderElementsOf(new HashSet<>(sequence));
    }
  }

  @Test
  void aSequenceThatCannotBeKeptApartIsShuffledAnyway() {
    List<Configuration> sequence = new ArrayList<>(List.of(Configuration.DISABLED, Configuration.DISABLED));

    EndToEndBenchmark.shuffleApart(sequence, Configuration.DISABLED, new Random(1));

    assertThat(sequence).containsExactly(Configuration.DISABLED, Configuration.DISABLED);
  }

  @Test
  void twoSlicesOfABlockAddUp() {
    LoadWindow.Result one = new LoadWindow.Result(100, 5, 2_000_000_000L, new long[] {1, 2}, 1000, 700, 10, 3, 5, 0,
        0.5, 600);
    LoadWindow.Result two = new LoadWindow.Result(120, 3, 2_000_000_000L, new long[] {3}, 2000, 800, 20, 4, 6, 1,
        1.0, 400);

    LoadWindow.Result both = one.plus(two);

    assertThat(both.executions()).isEqualTo(220);
    assertThat(both.beganNanos()).isEqualTo(3);
    assertThat(both.elapsedNanos()).isEqualTo(4_000_000_000L);
    assertThat(both.latenciesNanos()).containsExactly(1, 2, 3);
    assertThat(both.allocatedBytes()).isEqualTo(3000);
    assertThat(both.servingCpuNanos()).isEqualTo(1470);
    assertThat(both.gcNanos()).isEqualTo(7);
    assertThat(both.failed()).isEqualTo(11);
    assertThat(both.unplanned()).isEqualTo(1);
    assertThat(both.machineBusy()).isEqualTo(0.75);
    assertThat(both.databaseCpuNanos()).isEqualTo(1000);
    assertThat(one.plus(two.withDatabaseCpu(-1)).databaseCpuNanos()).isEqualTo(-1);
  }

  private static LoadWindow.Result slice(int executions, long cpuNanos, long databaseCpuNanos) {
    return new LoadWindow.Result(executions, 0, 2_000_000_000L, new long[0], 0, cpuNanos, 0, 0, 0, 0, 0.5,
        databaseCpuNanos);
  }

  private static EndToEndBenchmark.Figures withCorrected(EndToEndBenchmark.Figures f, PairedRatio corrected) {
    return new EndToEndBenchmark.Figures(f.configuration(), f.executionsPerSecond(), f.throughputRatio(), f.p50Nanos(),
        f.p99Nanos(), f.allocatedBytesPerExecution(), f.allocationRatio(), f.cpuNanosPerExecution(), f.cpuRatio(),
        f.jitNanosPerExecution(), f.servingCpuRatio(), f.otlpBytesPerExecution(), f.otlpSpansPerExecution(),
        f.coldStartNanos(), f.executions(), f.failed(), f.machineBusy(), f.servingCpuRatioVsB(),
        f.allocationRatioVsB(), f.databaseCpuNanosPerExecution(), f.databaseCpuRatio(), corrected,
        f.failureProblem());
  }

  /** A ratio with a symmetric interval over 12 pairs, its median the same. */
  private static PairedRatio interval(double ratio, double halfWidth) {
    return new PairedRatio(ratio, ratio - halfWidth, ratio + halfWidth, 12,
        io.servo.bench.coldstart.MedianInterval.of(ratio - halfWidth, ratio, ratio + halfWidth, ratio));
  }

  private static EndToEndBenchmark.Figures withServingCpu(EndToEndBenchmark.Figures f, PairedRatio servingCpu) {
    return new EndToEndBenchmark.Figures(f.configuration(), f.executionsPerSecond(), f.throughputRatio(), f.p50Nanos(),
        f.p99Nanos(), f.allocatedBytesPerExecution(), f.allocationRatio(), f.cpuNanosPerExecution(), f.cpuRatio(),
        f.jitNanosPerExecution(), servingCpu, f.otlpBytesPerExecution(), f.otlpSpansPerExecution(),
        f.coldStartNanos(), f.executions(), f.failed(), f.machineBusy(), f.servingCpuRatioVsB(),
        f.allocationRatioVsB(), f.databaseCpuNanosPerExecution(), f.databaseCpuRatio(), f.correctedServingCpuRatio(),
        f.failureProblem());
  }

  /**
   * Every configuration with 400 measured executions, 20 failed; (b) allocates 310 KB per execution,
   * (a) 300 KB; (bk) is 2% over (a) and 0.4% over (b) in CPU less JIT, 4.5% and 1% in allocation.
   */
  static List<EndToEndBenchmark.Figures> figures(double keptSpansPerExecution) {
    List<EndToEndBenchmark.Figures> figures = new ArrayList<>();
    PairedRatio one = PairedRatio.exactly(1.0);
    for (Configuration c : Configuration.defaults()) {
      PairedRatio servingCpu = one;
      PairedRatio allocation = one;
      PairedRatio servingCpuVsB = one;
      PairedRatio allocationVsB = one;
      double allocated = 300 * 1024;
      double spans = 0;
      switch (c) {
        case SERVO_1PCT -> {
          allocated = 310 * 1024;
          spans = 0.35;
        }
        case SERVO_1PCT_KEEP -> {
          servingCpu = interval(1.02, 0.03);
          allocation = interval(1.045, 0.01);
          servingCpuVsB = interval(1.004, 0.004);
          allocationVsB = interval(1.01, 0.005);
          allocated = 313 * 1024;
          spans = keptSpansPerExecution;
        }
        case SERVO_100PCT -> spans = 38;
        default -> { }
      }
      figures.add(new EndToEndBenchmark.Figures(c, 30, one, 0, 0, allocated, allocation, 0, one, 0, servingCpu,
          0, spans, 1_000_000_000L, 400, 20, 0.5, servingCpuVsB, allocationVsB, 2.5e6, one,
          PairedRatio.exactly(Double.NaN), ""));
    }
    return figures;
  }
}
