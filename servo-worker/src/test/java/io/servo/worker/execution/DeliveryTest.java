package io.servo.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliveryTest {
  @Test
  void readsCloudTasksHeaders() {
    Map<String, String> headers = Map.of(
        "X-CloudTasks-TaskName", "task-1", "X-CloudTasks-TaskRetryCount", "2",
        "X-CloudTasks-TaskExecutionCount", "1", "X-CloudTasks-TaskETA", "1700000000.250000",
        "X-CloudTasks-QueueName", "servo-tasks");
    assertThat(Delivery.fromHeaders(headers::get)).isEqualTo(
        new Delivery("task-1", 2, 1, Instant.ofEpochSecond(1700000000L, 250_000_000L), "servo-tasks"));
  }

  @Test
  void malformedValuesAreIgnored() {
    Map<String, String> headers = Map.of(
        "X-CloudTasks-TaskRetryCount", "two", "X-CloudTasks-TaskExecutionCount", "-1",
        "X-CloudTasks-TaskETA", "tomorrow");
    assertThat(Delivery.fromHeaders(headers::get)).isEqualTo(Delivery.UNKNOWN);
    assertThat(Delivery.fromHeaders(Map.of("X-CloudTasks-TaskETA", "1e400")::get).eta()).isNull();
  }
}
