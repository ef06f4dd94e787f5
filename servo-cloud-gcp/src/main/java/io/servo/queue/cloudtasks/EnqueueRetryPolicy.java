package io.servo.queue.cloudtasks;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link CloudTasksQueue} retries a CreateTask call that failed transiently (UNAVAILABLE,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL): exponential backoff from {@code
 * initialBackoff}, multiplied by {@code multiplier} per attempt up to {@code maxBackoff}, each delay
 * jittered down to between half and all of its value so that many orchestrator instances do not
 * retry in lockstep. It stops after {@code maxAttempts} calls or once {@code totalTimeout} has
 * passed, whichever comes first. Each call is bounded by {@code attemptTimeout}.
 *
 * <p>The client library's own retries for CreateTask are switched off; this policy is the only one.
 */
public record EnqueueRetryPolicy(
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    double multiplier,
    Duration totalTimeout,
    Duration attemptTimeout) {

  /** 5 attempts, 250 ms doubling to at most 4 s, 30 s overall, 10 s per call. */
  public static final EnqueueRetryPolicy DEFAULT = new EnqueueRetryPolicy(
      5, Duration.ofMillis(250), Duration.ofSeconds(4), 2.0, Duration.ofSeconds(30), Duration.ofSeconds(10));

  public EnqueueRetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(totalTimeout, "totalTimeout");
    Objects.requireNonNull(attemptTimeout, "attemptTimeout");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "backoff must satisfy 0 <= initialBackoff <= maxBackoff, was " + initialBackoff + ", " + maxBackoff);
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("multiplier must be >= 1.0, was " + multiplier);
    }
    if (totalTimeout.isNegative() || totalTimeout.isZero() || attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new IllegalArgumentException("totalTimeout and attemptTimeout must be positive");
    }
  }

  /** A single attempt: no retries. */
  public static EnqueueRetryPolicy noRetries() {
    return new EnqueueRetryPolicy(
        1, Duration.ZERO, Duration.ZERO, 1.0, DEFAULT.totalTimeout, DEFAULT.attemptTimeout);
  }

  /** The un-jittered delay after the given failed attempt (1-based). */
  Duration backoffAfter(int attempt) {
    double nanos = initialBackoff.toNanos() * Math.pow(multiplier, attempt - 1);
    return nanos >= maxBackoff.toNanos() ? maxBackoff : Duration.ofNanos((long) nanos);
  }
}
