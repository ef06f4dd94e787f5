package io.servo.bench.e2e;

import java.util.List;

/**
 * The mean of per-round ratios with a normal-approximation 95% interval: mean ± 1.96 · s / √n.
 * Ratios are taken within a round (configuration against baseline measured minutes apart at most),
 * so slow drift of the machine cancels.
 */
public record RatioEstimate(double mean, double halfWidth, int rounds) {
  public static RatioEstimate of(List<Double> ratios) {
    int n = ratios.size();
    if (n == 0) {
      return new RatioEstimate(Double.NaN, Double.NaN, 0);
    }
    double mean = ratios.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    if (n == 1) {
      return new RatioEstimate(mean, Double.NaN, 1);
    }
    double squares = 0;
    for (double r : ratios) {
      squares += (r - mean) * (r - mean);
    }
    double stderr = Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
    return new RatioEstimate(mean, 1.96 * stderr, n);
  }

  /** Throughput lost relative to the baseline, in percent (negative: faster than the baseline). */
  public double lossPercent() {
    return (1 - mean) * 100;
  }

  public double halfWidthPercent() {
    return halfWidth * 100;
  }
}
