package io.servo.bench.e2e;

import io.servo.bench.coldstart.MedianInterval;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One configuration's cost per unit (CPU per execution, bytes per execution, executions per second)
 * against a baseline's, from paired slices: each {@link Pair} is one slice of the configuration and
 * one of the baseline in the same block, a few seconds apart, each run alone on the machine. The
 * ratio is of the totals, Σcost / Σcount over the configuration's slices against the same over the
 * baseline's, so a lumpy cost (a garbage collection falls in one slice, not in its neighbour) counts
 * once in the sum instead of once in a per-slice ratio. The 95% interval is a percentile bootstrap
 * over the pairs: pairs are resampled with replacement, keeping each pair whole, so what the two
 * slices of a pair shared (the machine's state at that moment) cancels as it does in the estimate.
 * The resampling is seeded: the same slices give the same interval. Also the median of the per-pair
 * ratios with its distribution-free interval ({@link MedianInterval}).
 *
 * @param ratio the ratio of the totals
 * @param low the bootstrap interval's 2.5th percentile; NaN with fewer than two pairs
 * @param high its 97.5th percentile; NaN with fewer than two pairs
 * @param pairs how many pairs
 */
public record PairedRatio(double ratio, double low, double high, int pairs, MedianInterval median) {
  /** Bootstrap resamples; at 4,000 the interval's ends move by well under 0.1 percentage points between seeds. */
  static final int RESAMPLES = 4_000;

  /** The seed of the resampling. Any fixed value does; fixed, a rerun on the same data prints the same interval. */
  static final long SEED = 19;

  /**
   * One slice of the configuration and one of the baseline, paired. {@code cost} over {@code count}
   * is the slice's figure per unit: CPU nanoseconds over executions, or executions over nanoseconds
   * for throughput.
   */
  public record Pair(double cost, double count, double baseCost, double baseCount) {
    double ratio() {
      return (cost / count) / (baseCost / baseCount);
    }
  }

  /** A ratio known without an interval (for a baseline against itself, and for tests). */
  public static PairedRatio exactly(double ratio) {
    return new PairedRatio(ratio, Double.NaN, Double.NaN, 0, MedianInterval.of());
  }

  public static PairedRatio of(List<Pair> pairs) {
    int n = pairs.size();
    if (n == 0) {
      return new PairedRatio(Double.NaN, Double.NaN, Double.NaN, 0, MedianInterval.of());
    }
    double[] cost = new double[n];
    double[] count = new double[n];
    double[] baseCost = new double[n];
    double[] baseCount = new double[n];
    double[] ratios = new double[n];
    for (int i = 0; i < n; i++) {
      Pair p = pairs.get(i);
      cost[i] = p.cost();
      count[i] = p.count();
      baseCost[i] = p.baseCost();
      baseCount[i] = p.baseCount();
      ratios[i] = p.ratio();
    }
    double ratio = totalsRatio(cost, count, baseCost, baseCount, null);
    MedianInterval median = MedianInterval.of(ratios);
    if (n == 1) {
      return new PairedRatio(ratio, Double.NaN, Double.NaN, 1, median);
    }
    SplittableRandom random = new SplittableRandom(SEED);
    double[] resampled = new double[RESAMPLES];
    int[] picks = new int[n];
    for (int r = 0; r < RESAMPLES; r++) {
      for (int i = 0; i < n; i++) {
        picks[i] = random.nextInt(n);
      }
      resampled[r] = totalsRatio(cost, count, baseCost, baseCount, picks);
    }
    Arrays.sort(resampled);
    return new PairedRatio(ratio, percentile(resampled, 0.025), percentile(resampled, 0.975), n, median);
  }

  /** The ratio of the totals over the pairs {@code picks} (all pairs once when null). */
  private static double totalsRatio(double[] cost, double[] count, double[] baseCost, double[] baseCount,
      int[] picks) {
    double c = 0;
    double n = 0;
    double bc = 0;
    double bn = 0;
    int size = picks == null ? cost.length : picks.length;
    for (int k = 0; k < size; k++) {
      int i = picks == null ? k : picks[k];
      c += cost[i];
      n += count[i];
      bc += baseCost[i];
      bn += baseCount[i];
    }
    return (c / n) / (bc / bn);
  }

  /** Linear interpolation between the order statistics around {@code q} of a sorted sample. */
  private static double percentile(double[] sorted, double q) {
    double at = q * (sorted.length - 1);
    int below = (int) Math.floor(at);
    int above = Math.min(sorted.length - 1, below + 1);
    return sorted[below] + (at - below) * (sorted[above] - sorted[below]);
  }

  /** The ratio's excess over 1, in percent: the configuration's extra cost (negative: less than the baseline). */
  public double percent() {
    return (ratio - 1) * 100;
  }

  public double lowPercent() {
    return (low - 1) * 100;
  }

  public double highPercent() {
    return (high - 1) * 100;
  }

  /** Half the interval's width, in percentage points of the baseline; NaN without an interval. */
  public double halfWidthPercent() {
    return (high - low) / 2 * 100;
  }

  /** Whether there is an interval (two pairs or more). */
  public boolean hasInterval() {
    return !Double.isNaN(low);
  }

  /** {@code 1.004 [0.995, 1.013]}, only the ratio when there is no interval, {@code n/a} when there is no ratio. */
  @Override
  public String toString() {
    if (Double.isNaN(ratio)) {
      return "n/a";
    }
    return hasInterval()
        ? String.format(java.util.Locale.ROOT, "%.3f [%.3f, %.3f]", ratio, low, high)
        : String.format(java.util.Locale.ROOT, "%.3f", ratio);
  }
}
