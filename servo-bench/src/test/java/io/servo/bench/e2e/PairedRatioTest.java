package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The paired-slice ratio and its interval, on synthetic slices drawn from seeded generators. */
class PairedRatioTest {
  private static final double TRUE_RATIO = 1.01;

  @Test
  void theRatioIsOfTheTotalsNotTheMeanOfPerPairRatios() {
    PairedRatio r = PairedRatio.of(List.of(
        new PairedRatio.Pair(100, 10, 90, 10),
        new PairedRatio.Pair(220, 20, 200, 20)));

    assertThat(r.ratio()).isCloseTo((320.0 / 30) / (290.0 / 30), within(1e-12));
    assertThat(r.percent()).isCloseTo(10.345, within(0.001));
    assertThat(r.pairs()).isEqualTo(2);
    assertThat(r.median().median()).isCloseTo((1.1 + 1.111111) / 2, within(1e-6));
  }

  @Test
  void aKnownOnePercentEffectWithNoiseIsRecoveredWithinAnIntervalNarrowerThanOnePoint() {
    List<PairedRatio.Pair> pairs = slices(new Random(42), 120);

    PairedRatio r = PairedRatio.of(pairs);

    assertThat(r.low()).isLessThan(TRUE_RATIO);
    assertThat(r.high()).isGreaterThan(TRUE_RATIO);
    assertThat(r.low()).as("the effect is resolved: the interval excludes no effect").isGreaterThan(1.0);
    assertThat(r.halfWidthPercent()).isLessThan(1.0);
  }

  @Test
  void theIntervalCoversTheTrueRatioAboutNineteenTimesInTwenty() {
    Random random = new Random(7);
    int experiments = 300;
    int covered = 0;
    for (int e = 0; e < experiments; e++) {
      PairedRatio r = PairedRatio.of(slices(random, 40));
      if (r.low() <= TRUE_RATIO && TRUE_RATIO <= r.high()) {
        covered++;
      }
    }
    // A percentile bootstrap over 40 pairs covers a little less than its nominal 95%.
    assertThat((double) covered / experiments).isBetween(0.90, 0.99);
  }

  @Test
  void fewerPairsGiveAWiderInterval() {
    Random random = new Random(3);
    PairedRatio few = PairedRatio.of(slices(random, 12));
    PairedRatio many = PairedRatio.of(slices(random, 120));

    assertThat(few.halfWidthPercent()).isGreaterThan(many.halfWidthPercent() * 2);
  }

  @Test
  void theSameSlicesGiveTheSameInterval() {
    List<PairedRatio.Pair> pairs = slices(new Random(11), 30);

    assertThat(PairedRatio.of(pairs)).isEqualTo(PairedRatio.of(pairs));
  }

  @Test
  void onePairHasNoInterval() {
    PairedRatio r = PairedRatio.of(List.of(new PairedRatio.Pair(101, 10, 100, 10)));

    assertThat(r.ratio()).isCloseTo(1.01, within(1e-12));
    assertThat(r.hasInterval()).isFalse();
    assertThat(r.toString()).isEqualTo("1.010");
  }

  /**
   * {@code n} blocks as a busy two-core machine gives them: the baseline costs 6 ms of CPU per
   * execution, the configuration 1% more; each block's machine state scales both slices of the pair
   * alike (±5%), each slice has its own noise (±2%), a slice has 80 to 120 executions, and in one
   * slice in three a garbage collection adds 20 ms (1% more with the configuration, which allocates
   * more).
   */
  private static List<PairedRatio.Pair> slices(Random random, int n) {
    List<PairedRatio.Pair> pairs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double machine = Math.exp(0.05 * random.nextGaussian());
      int executions = 80 + random.nextInt(41);
      int baseExecutions = 80 + random.nextInt(41);
      double cost = slice(random, executions, 6e6 * TRUE_RATIO * machine);
      double baseCost = slice(random, baseExecutions, 6e6 * machine);
      pairs.add(new PairedRatio.Pair(cost, executions, baseCost, baseExecutions));
    }
    return pairs;
  }

  private static double slice(Random random, int executions, double nanosPerExecution) {
    double gc = random.nextInt(3) == 0 ? 20e6 * nanosPerExecution / 6e6 : 0;
    return executions * nanosPerExecution * Math.exp(0.02 * random.nextGaussian()) + gc;
  }
}
