package io.servo.core.execution;

import static io.servo.core.execution.ExecutionState.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExecutionStateTest {
  @Test
  void followsTheLifecycle() {
    assertThat(PENDING.allowedNext()).containsExactlyInAnyOrder(RUNNING, CANCELLED);
    assertThat(RUNNING.allowedNext()).containsExactlyInAnyOrder(SUCCEEDED, FAILED, TIMEOUT, CANCELLED);
    assertThat(FAILED.canTransitionTo(RUNNING)).isTrue();
    assertThat(SUCCEEDED.allowedNext()).isEmpty();
    assertThat(PENDING.canTransitionTo(SUCCEEDED)).isFalse();
    assertThat(ExecutionState.fromWireName("timeout")).contains(TIMEOUT);
    assertThat(ExecutionState.fromWireName("TIMEOUT")).isEmpty();
  }
}
