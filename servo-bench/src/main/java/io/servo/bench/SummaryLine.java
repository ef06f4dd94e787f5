package io.servo.bench;

import io.servo.bench.coldstart.ColdStartBenchmark;
import io.servo.bench.coldstart.Service;
import io.servo.bench.e2e.Configuration;
import io.servo.bench.e2e.EndToEndBenchmark;
import io.servo.bench.e2e.KeepCost;
import io.servo.bench.e2e.PairedRatio;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one machine-readable line that ends {@code ./servo bench}: {@code overhead_1pct=X% [lo%,hi%]
 * overhead_100pct=Y% [lo%,hi%] agent_overhead_1pct=Z% [lo%,hi%] agent_overhead_100pct=W% [lo%,hi%]
 * coldstart_tracing_ms=C coldstart_agent_ms=A keep_overhead_vs_b=K% [lo%,hi%] keep_alloc_vs_b=+NB
 * [loB,hiB]}. The overheads are the end-to-end benchmark's CPU less JIT of (b), (c), (e) and (d)
 * over (a) as {@link EndToEndBenchmark.Figures#overhead()} gives it (per PostgreSQL CPU when that is
 * known), in percent, each followed by its 95% interval ({@link PairedRatio}); the interval is a token of its own, without spaces, so the line still splits on spaces, and it is
 * {@code [n/a]} when there was only one pair of slices. The cold starts are the absolute medians of
 * (c) and (d): those of the worker service from the cold-start benchmark when it ran, else those of
 * the end-to-end children. {@code keep_*} is retroactive keep's cost ({@link KeepCost}): (bk)'s CPU
 * less JIT over (b) in percent and its allocation over (b) per execution in bytes, signed, with the
 * unit after the number and no space. A figure that no benchmark of the run measured is {@code n/a},
 * without an interval.
 */
final class SummaryLine {
  private SummaryLine() {}

  /**
   * @param endToEnd the end-to-end figures, or null when that benchmark did not run
   * @param coldStart the cold-start result, or null when that benchmark did not run
   */
  static String of(List<EndToEndBenchmark.Figures> endToEnd, ColdStartBenchmark.Result coldStart) {
    Map<Configuration, EndToEndBenchmark.Figures> by = new EnumMap<>(Configuration.class);
    if (endToEnd != null) {
      endToEnd.forEach(f -> by.put(f.configuration(), f));
    }
    Optional<KeepCost> keep = endToEnd == null ? Optional.empty() : KeepCost.of(endToEnd);
    String tracingMs;
    String agentMs;
    if (coldStart != null) {
      tracingMs = millis(coldStart.of(Service.WORKER, Configuration.SERVO_100PCT).medianMillis());
      agentMs = millis(coldStart.of(Service.WORKER, Configuration.AGENT_100PCT).medianMillis());
    } else {
      tracingMs = by.containsKey(Configuration.SERVO_100PCT)
          ? millis(by.get(Configuration.SERVO_100PCT).coldStartNanos() / 1e6) : "n/a";
      agentMs = by.containsKey(Configuration.AGENT_100PCT)
          ? millis(by.get(Configuration.AGENT_100PCT).coldStartNanos() / 1e6) : "n/a";
    }
    return "overhead_1pct=" + overhead(by.get(Configuration.SERVO_1PCT))
        + " overhead_100pct=" + overhead(by.get(Configuration.SERVO_100PCT))
        + " agent_overhead_1pct=" + overhead(by.get(Configuration.AGENT_1PCT))
        + " agent_overhead_100pct=" + overhead(by.get(Configuration.AGENT_100PCT))
        + " coldstart_tracing_ms=" + tracingMs + " coldstart_agent_ms=" + agentMs
        + " keep_overhead_vs_b=" + keep.map(k -> percent(k.servingCpu())).orElse("n/a")
        + " keep_alloc_vs_b=" + keep.map(k -> bytes(k.allocationBytes()) + " " + (k.allocation().hasInterval()
            ? "[" + bytes(k.allocationLowBytes()) + "," + bytes(k.allocationHighBytes()) + "]" : "[n/a]"))
            .orElse("n/a");
  }

  private static String overhead(EndToEndBenchmark.Figures figures) {
    return figures == null ? "n/a" : percent(figures.overhead());
  }

  /** {@code 0.4% [-0.6%,1.3%]}: the ratio's excess over 1 and its interval. */
  private static String percent(PairedRatio ratio) {
    String value = String.format(Locale.ROOT, "%.1f%%", ratio.percent());
    return value + " " + (ratio.hasInterval()
        ? String.format(Locale.ROOT, "[%.1f%%,%.1f%%]", ratio.lowPercent(), ratio.highPercent()) : "[n/a]");
  }

  private static String bytes(double bytes) {
    return String.format(Locale.ROOT, "%+dB", Math.round(bytes));
  }

  private static String millis(double millis) {
    return Double.isNaN(millis) ? "n/a" : Long.toString(Math.round(millis));
  }
}
