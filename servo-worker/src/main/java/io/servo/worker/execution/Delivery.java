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
 * @param queueName the queue that delivered it (the short queue id Cloud Tasks sends)
 */
public record Delivery(String taskName, Integer retryCount, Integer executionCount, Instant eta,
    String queueName) {
  public static final Delivery UNKNOWN = new Delivery(null, null, null, null, null);
  private static final int MAX_NAME_LENGTH = 500;

  /** A delivery whose queue is not known. */
  public Delivery(String taskName, Integer retryCount, Integer executionCount, Instant eta) {
    this(taskName, retryCount, executionCount, eta, null);
  }

  /** Reads the delivery headers through {@code header} (a case-insensitive lookup of a header's first value). */
  public static Delivery fromHeaders(Function<String, String> header) {
    return new Delivery(
        name(header.apply(TaskHeaders.TASK_NAME)),
        count(header.apply(TaskHeaders.RETRY_COUNT)),
        count(header.apply(TaskHeaders.EXECUTION_COUNT)),
        eta(header.apply(TaskHeaders.ETA)),
        name(header.apply(TaskHeaders.QUEUE_NAME)));
  }

  private static String name(String value) {
    return value == null || value.isBlank() || value.length() > MAX_NAME_LENGTH ? null : value;
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
