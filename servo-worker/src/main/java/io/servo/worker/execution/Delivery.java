package io.servo.worker.execution;

import io.servo.core.queue.TaskHeaders;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.function.Function;

/**
 * What the queue said about this delivery of the task (Cloud Tasks' {@code X-CloudTasks-*}
 * headers; the local queue sends the same). Informational only: a missing or malformed header
 * becomes null, never an error.
 *
 * @param taskName the queue's name of the task
 * @param retryCount how many times the task was retried before this delivery
 * @param executionCount how many deliveries got a response before this one
 * @param eta when the task was scheduled to be delivered
 */
public record Delivery(String taskName, Integer retryCount, Integer executionCount, Instant eta) {
  public static final Delivery UNKNOWN = new Delivery(null, null, null, null);
  private static final int MAX_TASK_NAME_LENGTH = 500;

  /** Reads the delivery headers through {@code header} (a case-insensitive lookup of a header's first value). */
  public static Delivery fromHeaders(Function<String, String> header) {
    String name = header.apply(TaskHeaders.TASK_NAME);
    if (name != null && (name.isBlank() || name.length() > MAX_TASK_NAME_LENGTH)) {
      name = null;
    }
    return new Delivery(
        name,
        count(header.apply(TaskHeaders.RETRY_COUNT)),
        count(header.apply(TaskHeaders.EXECUTION_COUNT)),
        eta(header.apply(TaskHeaders.ETA)));
  }

  private static Integer count(String value) {
    if (value == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(value.trim());
      return n < 0 ? null : n;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Cloud Tasks sends the ETA as seconds since the epoch with a fraction: {@code 1700000000.123456}. */
  private static Instant eta(String value) {
    if (value == null || value.length() > 40) {
      return null;
    }
    try {
      BigDecimal seconds = new BigDecimal(value.trim());
      BigDecimal whole = new BigDecimal(seconds.toBigInteger());
      long nanos = seconds.subtract(whole).movePointRight(9).longValue();
      return Instant.ofEpochSecond(whole.longValueExact(), nanos);
    } catch (NumberFormatException | ArithmeticException | java.time.DateTimeException e) {
      return null;
    }
  }
}
