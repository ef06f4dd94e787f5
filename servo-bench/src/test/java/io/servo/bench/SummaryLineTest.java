package io.servo.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.bench.coldstart.ColdStartBenchmark;
import io.servo.bench.coldstart.MedianInterval;
import io.servo.bench.coldstart.Service;
import io.servo.bench.e2e.Configuration;
import io.servo.bench.e2e.EndToEndBenchmark;
import io.servo.bench.e2e.PairedRatio;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SummaryLineTest {
  // CPU less JIT over (a), each with its 95% interval as a token of its own.
  private static final String OVERHEADS = "overhead_1pct=0.5% [-0.5%,1.5%] overhead_100pct=4.0% [3.0%,5.0%] "
      + "agent_overhead_1pct=3.0% [2.0%,4.0%] agent_overhead_100pct=10.0% [9.0%,11.0%] ";
  // (bk) against (b): CPU less JIT ×1.007 ± 0.01, allocation ×1.01 ± 0.005 of (b)'s 310 KB per execution.
  private static final String KEEP = " keep_overhead_vs_b=0.7% [-0.3%,1.7%] keep_alloc_vs_b=+3174B [+1587B,+4762B]";

  @Test
  void endToEndOnlyGivesLossesAgainstTheBaselineAndItsChildrensColdStarts() {
    assertThat(SummaryLine.of(endToEnd(), null))
        .isEqualTo(OVERHEADS + "coldstart_tracing_ms=1060 coldstart_agent_ms=3501" + KEEP);
  }

  @Test
  void theColdStartBenchmarkGivesTheWorkersColdStartsWhenItRan() {
    assertThat(SummaryLine.of(endToEnd(), coldStarts()))
        .isEqualTo(OVERHEADS + "coldstart_tracing_ms=2710 coldstart_agent_ms=9877" + KEEP);
  }

  @Test
  void whatDidNotRunIsNotAvailable() {
    assertThat(SummaryLine.of(null, coldStarts())).isEqualTo(
        "overhead_1pct=n/a overhead_100pct=n/a agent_overhead_1pct=n/a agent_overhead_100pct=n/a "
            + "coldstart_tracing_ms=2710 coldstart_agent_ms=9877 keep_overhead_vs_b=n/a keep_alloc_vs_b=n/a");
  }

  @Test
  void aSinglePairOfSlicesHasNoInterval() {
    List<EndToEndBenchmark.Figures> figures = endToEnd();
    EndToEndBenchmark.Figures b = figures.get(Configuration.SERVO_1PCT.ordinal());
    figures.set(Configuration.SERVO_1PCT.ordinal(), new EndToEndBenchmark.Figures(b.configuration(), 50,
        b.throughputRatio(), 0, 0, b.allocatedBytesPerExecution(), b.allocationRatio(), 0, b.cpuRatio(), 0,
        PairedRatio.exactly(1.005), 0, 0, b.coldStartNanos(), 100, 5, 0.5, b.servingCpuRatioVsB(),
        b.allocationRatioVsB(), Double.NaN, PairedRatio.exactly(Double.NaN), PairedRatio.exactly(Double.NaN), ""));

    assertThat(SummaryLine.of(figures, null)).startsWith("overhead_1pct=0.5% [n/a] overhead_100pct=4.0% [3.0%,5.0%] ");
  }

  private static List<EndToEndBenchmark.Figures> endToEnd() {
    List<EndToEndBenchmark.Figures> figures = new ArrayList<>();
    // CPU less JIT against (a) of (a), the control (a2), (b), (bk), (c), (d), (e)
    double[] ratios = {1.0, 1.01, 1.005, 1.01, 1.04, 1.10, 1.03};
    long[] coldStarts = {1_000_000_000L, 990_000_000L, 1_050_000_000L, 1_040_000_000L, 1_060_400_000L,
        3_500_600_000L, 3_400_000_000L};
    for (Configuration c : Configuration.defaults()) {
      PairedRatio ratio = interval(ratios[c.ordinal()], 0.01);
      boolean keep = c == Configuration.SERVO_1PCT_KEEP;
      PairedRatio servingCpuVsB = interval(keep ? 1.007 : 1.0, 0.01);
      PairedRatio allocationVsB = interval(keep ? 1.01 : 1.0, 0.005);
      figures.add(new EndToEndBenchmark.Figures(c, 50, ratio, 0, 0, c == Configuration.SERVO_1PCT ? 310 * 1024 : 0,
          ratio, 0, ratio, 0, ratio, 0, 0, coldStarts[c.ordinal()], 100, 5, 0.5, servingCpuVsB, allocationVsB,
          Double.NaN, PairedRatio.exactly(Double.NaN), PairedRatio.exactly(Double.NaN), ""));
    }
    return figures;
  }

  private static PairedRatio interval(double ratio, double halfWidth) {
    return new PairedRatio(ratio, ratio - halfWidth, ratio + halfWidth, 12, MedianInterval.of());
  }

  private static ColdStartBenchmark.Result coldStarts() {
    List<ColdStartBenchmark.Figures> figures = new ArrayList<>();
    MedianInterval none = MedianInterval.of();
    for (Service service : Service.values()) {
      // The orchestrator's figures are different, to show that the line takes the worker's.
      double offset = service == Service.WORKER ? 0 : 500;
      figures.add(new ColdStartBenchmark.Figures(service, Configuration.DISABLED, false, 6, 2600 + offset, 0, 0, 0, 0, none, 0, none, none, none));
      figures.add(new ColdStartBenchmark.Figures(service, Configuration.SERVO_100PCT, false, 6, 2709.5 + offset, 0, 0, 0, 0, none, 0, none, none, none));
      figures.add(new ColdStartBenchmark.Figures(service, Configuration.AGENT_100PCT, false, 3, 9876.6 + offset, 0, 0, 0, 0, none, 0, none, none, none));
    }
    return new ColdStartBenchmark.Result(ColdStartBenchmark.Effort.QUICK, 6, figures, Map.of());
  }
}
