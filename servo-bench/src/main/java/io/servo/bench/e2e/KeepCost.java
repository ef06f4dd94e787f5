package io.servo.bench.e2e;

import java.util.List;
import java.util.Optional;

/**
 * What retroactive keep costs over head sampling alone: (bk) against (b), CPU less JIT and
 * allocation per execution, as ratios taken round by round. Both configurations run the same load,
 * one execution in 20 failing, and (bk) exports the failed executions' whole traces; so the figures
 * are over all executions, failed ones and their export included, and bound from above what a
 * successful execution pays. Both ratios are over paired slices ({@link PairedRatio}).
 *
 * @param servingCpu (bk)'s CPU less JIT per execution against (b)'s
 * @param allocation (bk)'s allocation per execution against (b)'s
 * @param headSampledBytesPerExecution (b)'s allocation per execution, to turn the ratio into bytes
 */
public record KeepCost(PairedRatio servingCpu, PairedRatio allocation, double headSampledBytesPerExecution) {
  /** The budget per successful execution over (b): reported next to the figures, never enforced. */
  public static final double CPU_BUDGET_PERCENT = 1.0;

  public static final double ALLOCATION_BUDGET_BYTES = 4 * 1024;

  /** (bk) against (b) from the end-to-end figures; empty when either did not run. */
  public static Optional<KeepCost> of(List<EndToEndBenchmark.Figures> figures) {
    EndToEndBenchmark.Figures b = null;
    EndToEndBenchmark.Figures bk = null;
    for (EndToEndBenchmark.Figures f : figures) {
      if (f.configuration() == Configuration.SERVO_1PCT) {
        b = f;
      } else if (f.configuration() == Configuration.SERVO_1PCT_KEEP) {
        bk = f;
      }
    }
    if (b == null || bk == null) {
      return Optional.empty();
    }
    return Optional.of(new KeepCost(bk.servingCpuRatioVsB(), bk.allocationRatioVsB(), b.allocatedBytesPerExecution()));
  }

  /** CPU less JIT over (b), in percent (negative: less than (b), that is, within noise). */
  public double servingCpuPercent() {
    return servingCpu.percent();
  }

  /** Allocation over (b) per execution, in bytes: the ratio's excess times (b)'s allocation. */
  public double allocationBytes() {
    return (allocation.ratio() - 1) * headSampledBytesPerExecution;
  }

  /** The lower end of {@link #allocationBytes()}'s 95% interval; NaN without one. */
  public double allocationLowBytes() {
    return (allocation.low() - 1) * headSampledBytesPerExecution;
  }

  /** The upper end of {@link #allocationBytes()}'s 95% interval; NaN without one. */
  public double allocationHighBytes() {
    return (allocation.high() - 1) * headSampledBytesPerExecution;
  }
}
