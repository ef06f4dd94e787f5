package io.servo.bench.e2e;

import io.servo.bench.coldstart.MedianInterval;
import java.util.List;

/**
 * The mean of per-round ratios with a normal-approximation 95% interval: mean ± 1.96 · s / √n.
 * Ratios are taken within a round (configuration against baseline measured minutes apart at most),
 * so slow drift of the machine cancels. Also the median of the same ratios with its
 * distribution-free interval ({@link MedianInterval}), which one disturbed window (a round whose
 * slot met a burst of other work on the machine) does not move.
 */
public record RatioEstimate(double mean, double halfWidth, int rounds, MedianInterval median) {
  /** An estimate without the per-round values (no median). */
  public RatioEstimate(double mean, double halfWidth, int rounds) {
    this(mean, halfWidth, rounds, MedianInterval.of());
  }

  public static RatioEstimate of(List<Double> ratios) {
    int n = ratios.size();
    if (n == 0) {
      return new RatioEstimate(Double.NaN, Double.NaN, 0);
    }
    double mean = ratios.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    MedianInterval median = MedianInterval.of(ratios.stream().mapToDouble(Double::doubleValue).toArray());
    if (n == 1) {
      return new RatioEstimate(mean, Double.NaN, 1, median);
    }
    double squares = 0;
    for (double r : ratios) {
      squares += (r - mean) * (r - mean);
    }
    double stderr = Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
    return new RatioEstimate(mean, 1.96 * stderr, n, median);
  }

  /** Throughput lost relative to the baseline, in percent (negative: faster than the baseline). */
  public double lossPercent() {
    return (1 - mean) * 100;
  }

  public double halfWidthPercent() {
    return halfWidth * 100;
  }
}
