package io.servo.cloud.gcp.fake.tasks;

import java.time.Duration;
import java.util.Objects;

/**
 * The fake queue's retry configuration, with Cloud Tasks' semantics ({@code RetryConfig}): the
 * delay before the first retry is {@code minBackoff}; it doubles {@code maxDoublings} times, then
 * grows linearly by the last doubled amount, capped at {@code maxBackoff}. A task is attempted at
 * most {@code maxAttempts} times (first attempt included; -1 for unlimited), then it is deleted as
 * permanently failed.
 */
public record FakeQueueRetryConfig(Duration minBackoff, Duration maxBackoff, int maxDoublings, int maxAttempts) {
  /**
   * Cloud Tasks' defaults are 0.1 s / 3600 s / 16 doublings / 100 attempts; the fake's are scaled
   * down so tests finish: 20 ms / 500 ms / 16 doublings / 10 attempts.
   */
  public static final FakeQueueRetryConfig DEFAULT =
      new FakeQueueRetryConfig(Duration.ofMillis(20), Duration.ofMillis(500), 16, 10);

  public FakeQueueRetryConfig {
    Objects.requireNonNull(minBackoff, "minBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (minBackoff.isNegative() || maxBackoff.compareTo(minBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= minBackoff <= maxBackoff");
    }
    if (maxDoublings < 0) {
      throw new IllegalArgumentException("maxDoublings must be >= 0, was " + maxDoublings);
    }
    if (maxAttempts == 0 || maxAttempts < -1) {
      throw new IllegalArgumentException("maxAttempts must be -1 (unlimited) or >= 1, was " + maxAttempts);
    }
  }

  public static FakeQueueRetryConfig of(Duration minBackoff, Duration maxBackoff, int maxAttempts) {
    return new FakeQueueRetryConfig(minBackoff, maxBackoff, DEFAULT.maxDoublings, maxAttempts);
  }

  /** The delay before retry number {@code retry} (1 for the first retry). */
  public Duration delayBeforeRetry(int retry) {
    int doublings = Math.min(retry - 1, Math.min(maxDoublings, 40));
    long doubled = minBackoff.toNanos() << doublings;
    long linear = retry - 1 > doublings ? (long) (retry - 1 - doublings) * doubled : 0;
    long nanos = doubled + linear;
    return nanos < 0 || nanos > maxBackoff.toNanos() ? maxBackoff : Duration.ofNanos(nanos);
  }

  boolean exhausted(int attempts) {
    return maxAttempts != -1 && attempts >= maxAttempts;
  }
}
