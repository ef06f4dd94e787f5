package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class FailureMixTest {

  @Test
  void theBenchmarksSeedFailsTheseExecutionsOnEveryChild() {
    List<Long> failing = LongStream.range(0, 100).filter(FailureMix.BENCHMARK::fails).boxed().toList();

    // Each configuration's child numbers its executions from 0: all of them run this sequence.
    assertThat(failing).containsExactly(16L, 20L, 54L, 76L, 92L);
    assertThat(FailureMix.BENCHMARK.share()).isEqualTo(0.05);
  }

  @Test
  void exactlyOneInEveryBlockOfTwentyWhicheverIsAskedFirst() {
    FailureMix forwards = FailureMix.oneIn(20, 42L);
    FailureMix backwards = FailureMix.oneIn(20, 42L);
    List<Long> fromTheEnd = new ArrayList<>();
    for (long i = 9_999; i >= 0; i--) {
      if (backwards.fails(i)) {
        fromTheEnd.add(0, i);
      }
    }

    List<Long> fromTheStart = LongStream.range(0, 10_000).filter(forwards::fails).boxed().toList();

    assertThat(fromTheStart).isEqualTo(fromTheEnd).hasSize(500);
    for (int block = 0; block < 500; block++) {
      assertThat(fromTheStart.get(block) / 20).isEqualTo(block);
    }
    assertThat(LongStream.range(0, 100).filter(FailureMix.oneIn(20, 43L)::fails).boxed().toList())
        .isNotEqualTo(fromTheStart.subList(0, 5));
  }

  @Test
  void everyRunOfConsecutiveExecutionsFailsFivePercentUpToRounding() {
    FailureMix mix = FailureMix.oneIn(20, 7L);
    for (long from = 0; from < 60; from++) {
      for (long to = from; to < from + 400; to++) {
        long failed = mix.failuresBetween(from, to);
        assertThat(mix.isShareOf(failed, to - from)).as("executions %d to %d: %d failed", from, to, failed).isTrue();
      }
    }
    assertThat(mix.isShareOf(50, 1000)).isTrue();
    assertThat(mix.isShareOf(48, 1000)).isFalse();
    assertThat(mix.isShareOf(0, 1000)).isFalse();
  }

  @Test
  void noneFailsNothingAndABlockNeedsTwoExecutions() {
    assertThat(LongStream.range(0, 1000).noneMatch(FailureMix.NONE::fails)).isTrue();
    assertThat(FailureMix.NONE.share()).isZero();
    assertThatThrownBy(() -> FailureMix.oneIn(1, 1L)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("every must be at least 2, was 1");
  }
}
