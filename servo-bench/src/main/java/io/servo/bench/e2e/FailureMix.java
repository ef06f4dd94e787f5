package io.servo.bench.e2e;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Which executions of a child's load fail: exactly one in every block of {@code every} consecutive
 * executions, at a position in the block drawn by a {@link Random} with a fixed seed. Executions are
 * numbered from 0 per child in the order the driver starts them, so every configuration runs the
 * same sequence of failures, and any {@code n} consecutive executions hold {@code n / every} of them
 * give or take one block at each end. A plain coin per execution would not: its share over one
 * window would wander by several percent, and configurations would compare different loads.
 */
final class FailureMix {
  /** One execution in 20, 5%: the share of failed executions the end-to-end benchmark runs. */
  static final FailureMix BENCHMARK = oneIn(20, 17L);

  /** No execution fails: {@code --warmup-curve}, whose figures stay comparable to earlier runs. */
  static final FailureMix NONE = new FailureMix(0, 0L);

  private final int every;
  private final Random random;
  // Positions of the blocks drawn so far, block i at index i; drawn in order, so the same seed
  // gives the same positions whichever executions are asked about first.
  private int[] positions = new int[64];
  private int drawn;

  private FailureMix(int every, long seed) {
    this.every = every;
    this.random = new Random(seed);
  }

  /** One execution in every {@code every} fails; which one of each block, {@code seed} decides. */
  static FailureMix oneIn(int every, long seed) {
    if (every < 2) {
      throw new IllegalArgumentException("every must be at least 2, was " + every);
    }
    return new FailureMix(every, seed);
  }

  /** The share of executions that fail (0.05 for one in 20). */
  double share() {
    return every == 0 ? 0 : 1.0 / every;
  }

  /** Whether execution {@code index} (0, 1, … in the order the driver starts them) is to fail. */
  synchronized boolean fails(long index) {
    if (every == 0) {
      return false;
    }
    int block = Math.toIntExact(index / every);
    while (drawn <= block) {
      if (drawn == positions.length) {
        positions = Arrays.copyOf(positions, positions.length * 2);
      }
      positions[drawn++] = random.nextInt(every);
    }
    return positions[block] == index % every;
  }

  /** How many of the executions {@code from} (inclusive) to {@code to} (exclusive) are to fail. */
  long failuresBetween(long from, long to) {
    long failures = 0;
    for (long i = from; i < to; i++) {
      if (fails(i)) {
        failures++;
      }
    }
    return failures;
  }

  /**
   * Whether {@code failed} of {@code executions} consecutive ones is this mix's share up to rounding.
   * A run of executions may start and end inside a block, whose failure may fall inside the run or
   * not, so the count differs from {@code executions / every} by less than 2 ({@code (every - 1) /
   * every} at each end).
   */
  boolean isShareOf(long failed, long executions) {
    return Math.abs(failed - executions * share()) < 2;
  }

  @Override
  public String toString() {
    return every == 0 ? "no failures" : String.format(Locale.ROOT, "1 in %d (%.0f%%)", every, share() * 100);
  }
}
