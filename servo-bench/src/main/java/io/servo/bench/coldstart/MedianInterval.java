package io.servo.bench.coldstart;

import java.util.Arrays;
import java.util.Locale;
import java.util.SortedMap;

/**
 * The median of a small sample with a distribution-free confidence interval from its order
 * statistics: the interval [x<sub>(k)</sub>, x<sub>(n−k+1)</sub>] of the sorted sample misses the
 * population median only when at most k − 1 values fall on one side of it, so its coverage is
 * 1 − 2·P(B ≤ k − 1) for B ~ Binomial(n, ½), whatever the distribution. The widest k whose coverage
 * is still at least 95% is taken; below 6 values even [min, max] covers less than 95%, and {@code
 * coverage} then says how much it does cover.
 *
 * <p>Applied to per-round differences (the paired design), it estimates how much a configuration
 * shifts the start time, with the round-to-round drift of the machine cancelled out.
 *
 * @param median the sample median (the mean of the two middle values when n is even); NaN when empty
 * @param low the interval's lower end, x<sub>(k)</sub>
 * @param high the interval's upper end, x<sub>(n−k+1)</sub>
 * @param coverage the interval's exact coverage probability, at least 0.95 when n ≥ 6
 * @param n the number of values
 */
public record MedianInterval(double median, double low, double high, double coverage, int n) {
  static final double CONFIDENCE = 0.95;

  /** The median of {@code values} and its interval. */
  public static MedianInterval of(double... values) {
    int n = values.length;
    if (n == 0) {
      return new MedianInterval(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    int k = 1;
    while (k + 1 <= (n + 1) / 2 && coverage(n, k + 1) >= CONFIDENCE) {
      k++;
    }
    return new MedianInterval(median, sorted[k - 1], sorted[n - k], coverage(n, k), n);
  }

  /**
   * The median of the paired differences {@code measured[r] − baseline[r]} over the rounds r that
   * have both, and its interval. Rounds present in only one of them are left out.
   */
  public static MedianInterval ofDifferences(SortedMap<Integer, Double> measured, SortedMap<Integer, Double> baseline) {
    double[] differences = measured.entrySet().stream()
        .filter(e -> baseline.containsKey(e.getKey()))
        .mapToDouble(e -> e.getValue() - baseline.get(e.getKey()))
        .toArray();
    return of(differences);
  }

  /** 1 − 2·P(B ≤ k − 1) for B ~ Binomial(n, ½): the probability that [x(k), x(n−k+1)] holds the median. */
  static double coverage(int n, int k) {
    double term = Math.pow(0.5, n); // P(B = 0)
    double below = 0;
    for (int i = 0; i < k; i++) {
      below += term;
      term = term * (n - i) / (i + 1); // P(B = i + 1)
    }
    return Math.max(0, 1 - 2 * below);
  }

  /** Whether the interval reaches the 95% it aims at (it cannot with fewer than 6 values). */
  public boolean confident() {
    return coverage >= CONFIDENCE;
  }

  /** Rounded and signed, e.g. {@code +12 [-40, +95]}, in the unit of the sample; {@code n/a} when empty. */
  public String rounded() {
    return n == 0 ? "n/a" : String.format(Locale.ROOT, "%+.0f [%+.0f, %+.0f]", median, low, high);
  }
}
