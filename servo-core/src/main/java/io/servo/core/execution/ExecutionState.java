package io.servo.core.execution;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The life of an execution: pending → running → succeeded | failed | timeout | cancelled, and
 * failed → running for a retry. Stores apply a transition as one conditional update
 * ({@code … WHERE state = ?}), never read-then-write.
 */
public enum ExecutionState {
  PENDING,
  RUNNING,
  SUCCEEDED,
  FAILED,
  TIMEOUT,
  CANCELLED;

  public boolean canTransitionTo(ExecutionState next) {
    return allowedNext().contains(next);
  }

  public Set<ExecutionState> allowedNext() {
    return switch (this) {
      case PENDING -> EnumSet.of(RUNNING, CANCELLED);
      case RUNNING -> EnumSet.of(SUCCEEDED, FAILED, TIMEOUT, CANCELLED);
      case FAILED -> EnumSet.of(RUNNING);
      case SUCCEEDED, TIMEOUT, CANCELLED -> EnumSet.noneOf(ExecutionState.class);
    };
  }

  /** True once nothing more will run for this execution (a failed one may still be retried by hand). */
  public boolean isEnded() {
    return this == SUCCEEDED || this == FAILED || this == TIMEOUT || this == CANCELLED;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ExecutionState> fromWireName(String name) {
    for (ExecutionState s : values()) {
      if (s.wireName().equals(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
