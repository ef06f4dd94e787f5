package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RatioEstimateTest {
  @Test
  void meanAndNormalIntervalOfPerRoundRatios() {
    RatioEstimate estimate = RatioEstimate.of(List.of(0.98, 1.00, 0.99, 0.97));

    assertThat(estimate.mean()).isCloseTo(0.985, within(1e-12));
    // s = 0.012910, s / sqrt(4) = 0.006455, times 1.96
    assertThat(estimate.halfWidth()).isCloseTo(0.012652, within(1e-6));
    assertThat(estimate.lossPercent()).isCloseTo(1.5, within(1e-9));
  }

  @Test
  void oneRoundHasNoInterval() {
    RatioEstimate estimate = RatioEstimate.of(List.of(1.02));

    assertThat(estimate.mean()).isEqualTo(1.02);
    assertThat(estimate.halfWidth()).isNaN();
    assertThat(estimate.lossPercent()).isCloseTo(-2.0, within(1e-9));
  }

  /** Ten rounds, one of whose windows met a burst of other work: the mean moves, the median not. */
  @Test
  void oneDisturbedRoundMovesTheMeanButNotTheMedian() {
    RatioEstimate estimate = RatioEstimate.of(List.of(0.99, 1.01, 1.00, 0.98, 1.02, 0.77, 1.00, 0.99, 1.01, 1.00));

    assertThat(estimate.mean()).isCloseTo(0.977, within(0.001));
    assertThat(estimate.median().median()).isEqualTo(1.00);
    assertThat(estimate.median().low()).isEqualTo(0.98);
    assertThat(estimate.median().high()).isEqualTo(1.01);
    assertThat(estimate.median().coverage()).isCloseTo(0.979, within(0.001));
  }
}
