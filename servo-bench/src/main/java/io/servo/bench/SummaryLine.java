package io.servo.bench;

import io.servo.bench.coldstart.ColdStartBenchmark;
import io.servo.bench.coldstart.Service;
import io.servo.bench.e2e.Configuration;
import io.servo.bench.e2e.EndToEndBenchmark;
import io.servo.bench.e2e.KeepCost;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one machine-readable line that ends {@code ./servo bench}: {@code overhead_1pct=X%
 * overhead_100pct=Y% agent_overhead_1pct=Z% agent_overhead_100pct=W% coldstart_tracing_ms=C
 * coldstart_agent_ms=A keep_overhead_vs_b=K% keep_alloc_vs_b=+NB}. The overheads are the end-to-end
 * benchmark's throughput lost against (a) by (b), (c), (e) and (d). The cold starts are the absolute
 * medians of (c) and (d): those of the worker service from the cold-start benchmark when it ran, else
 * those of the end-to-end children. {@code keep_*} is retroactive keep's cost ({@link KeepCost}):
 * (bk)'s CPU less JIT over (b) in percent and its allocation over (b) per execution in bytes, signed,
 * with the unit after the number and no space, so the line still splits on spaces. A figure that no
 * benchmark of the run measured is {@code n/a}.
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
    return "overhead_1pct=" + loss(by.get(Configuration.SERVO_1PCT))
        + " overhead_100pct=" + loss(by.get(Configuration.SERVO_100PCT))
        + " agent_overhead_1pct=" + loss(by.get(Configuration.AGENT_1PCT))
        + " agent_overhead_100pct=" + loss(by.get(Configuration.AGENT_100PCT))
        + " coldstart_tracing_ms=" + tracingMs + " coldstart_agent_ms=" + agentMs
        + " keep_overhead_vs_b=" + keep.map(k -> String.format(Locale.ROOT, "%.1f%%", k.servingCpuPercent())).orElse("n/a")
        + " keep_alloc_vs_b=" + keep.map(k -> String.format(Locale.ROOT, "%+dB", Math.round(k.allocationBytes())))
            .orElse("n/a");
  }

  private static String loss(EndToEndBenchmark.Figures figures) {
    return figures == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", figures.ratio().lossPercent());
  }

  private static String millis(double millis) {
    return Double.isNaN(millis) ? "n/a" : Long.toString(Math.round(millis));
  }
}
