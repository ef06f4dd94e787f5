package io.servo.cloud.gcp.fake.tasks;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP delivery of a task by the fake Cloud Tasks.
 *
 * @param taskName the full task name
 * @param attempt 1 for the first delivery
 * @param requestHeaders the headers sent, including Authorization and the X-CloudTasks-* headers
 * @param responseStatus the handler's HTTP status, or 0 when no response arrived (connection
 *     refused, timeout)
 * @param error why no response arrived, when it did not
 * @param outcome what the fake did next
 */
public record DispatchAttempt(
    String taskName,
    int attempt,
    Instant dispatchedAt,
    Map<String, String> requestHeaders,
    int responseStatus,
    Optional<String> error,
    Outcome outcome) {

  public enum Outcome {
    /** 2xx: the task was deleted. */
    SUCCEEDED,
    /** Not 2xx: another attempt is scheduled. */
    RETRY_SCHEDULED,
    /** Not 2xx and max attempts reached: the task was deleted as permanently failed. */
    GAVE_UP,
    /** The task was deleted (DeleteTask) while this attempt was in flight. */
    DELETED
  }

  public DispatchAttempt {
    requestHeaders = Map.copyOf(requestHeaders);
  }

  /** The short task id, as in {@code X-CloudTasks-TaskName}. */
  public String taskId() {
    return taskName.substring(taskName.lastIndexOf('/') + 1);
  }
}
