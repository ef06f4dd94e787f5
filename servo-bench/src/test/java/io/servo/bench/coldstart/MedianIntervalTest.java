package io.servo.bench.coldstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MedianIntervalTest {
  @Test
  void sixValuesGiveMinToMaxAt97Percent() {
    MedianInterval interval = MedianInterval.of(5, -3, 12, 7, 1, 9);

    assertThat(interval.median()).isEqualTo(6.0); // (5 + 7) / 2
    assertThat(interval.low()).isEqualTo(-3);
    assertThat(interval.high()).isEqualTo(12);
    assertThat(interval.coverage()).isEqualTo(1 - 2.0 / 64); // 1 - 2 * P(B = 0), B ~ Bin(6, 1/2)
    assertThat(interval.confident()).isTrue();
    assertThat(interval.n()).isEqualTo(6);
  }

  @Test
  void twentyFiveValuesGiveTheEighthToTheEighteenth() {
    double[] values = new double[25];
    for (int i = 0; i < values.length; i++) {
      values[i] = (i * 7) % 25 + 1; // 1..25, shuffled
    }

    MedianInterval interval = MedianInterval.of(values);

    assertThat(interval.median()).isEqualTo(13);
    assertThat(interval.low()).isEqualTo(8);
    assertThat(interval.high()).isEqualTo(18);
    // 1 - 2 * P(B <= 7), B ~ Bin(25, 1/2) = 1 - 2 * 726206 / 2^25; k = 9 would cover only 89.2%.
    assertThat(interval.coverage()).isCloseTo(0.9567147493, within(1e-9));
  }

  @Test
  void fewerThanSixValuesCannotReach95Percent() {
    MedianInterval interval = MedianInterval.of(300, 100, 200);

    assertThat(interval.median()).isEqualTo(200);
    assertThat(interval.low()).isEqualTo(100);
    assertThat(interval.high()).isEqualTo(300);
    assertThat(interval.coverage()).isEqualTo(0.75);
    assertThat(interval.confident()).isFalse();
  }

  @Test
  void coverageIsTheBinomialProbabilityOfTheOrderStatistics() {
    assertThat(MedianInterval.coverage(6, 1)).isEqualTo(0.96875);
    assertThat(MedianInterval.coverage(6, 2)).isEqualTo(1 - 2 * 7.0 / 64); // P(B <= 1) = (1 + 6) / 64
    assertThat(MedianInterval.coverage(5, 1)).isEqualTo(0.9375);
    assertThat(MedianInterval.coverage(1, 1)).isZero();
  }

  @Test
  void differencesArePairedByRoundSoThatDriftCancels() {
    // The machine slows down by 400 ms a round; the configuration costs 20-70 ms in each round.
    SortedMap<Integer, Double> baseline = new TreeMap<>();
    SortedMap<Integer, Double> measured = new TreeMap<>();
    double[] cost = {30, 60, 40, 50, 20, 70};
    for (int round = 1; round <= 6; round++) {
      baseline.put(round, 1600.0 + 400 * round);
      measured.put(round, 1600.0 + 400 * round + cost[round - 1]);
    }
    measured.put(7, 9000.0); // a round without a baseline start is left out
    baseline.put(8, 1000.0);

    MedianInterval delta = MedianInterval.ofDifferences(measured, baseline);

    assertThat(delta.n()).isEqualTo(6);
    assertThat(delta.median()).isEqualTo(45);
    assertThat(delta.low()).isEqualTo(20);
    assertThat(delta.high()).isEqualTo(70);
    assertThat(delta.rounded()).isEqualTo("+45 [+20, +70]");
  }

  @Test
  void noValuesHaveNoMedian() {
    MedianInterval interval = MedianInterval.of();

    assertThat(interval.n()).isZero();
    assertThat(interval.median()).isNaN();
    assertThat(interval.rounded()).isEqualTo("n/a");
  }

  @Test
  void roundedKeepsTheSign() {
    assertThat(MedianInterval.of(-30.4, -12.6, 8, 40, -2, 5).rounded()).isEqualTo("+2 [-30, +40]");
  }
}
