package io.servo.queue.cloudtasks;

import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import io.servo.core.queue.QueueException;
import java.time.Duration;

/** Turns a failed CreateTask into a {@link QueueException} whose message says what to do. */
final class CreateTaskFailures {
  private final CloudTasksConfig config;

  CreateTaskFailures(CloudTasksConfig config) {
    this.config = config;
  }

  /** A retryable failure that outlasted {@code retries} (gax does not say how many attempts it made). */
  QueueException exhausted(String taskId, ApiException last, RetrySettings retries, Duration elapsed) {
    return new QueueException(
        "Cloud Tasks CreateTask for task " + taskId + " on queue " + config.queuePath() + " failed with "
            + describe(last) + " after " + elapsed.toMillis() + " ms of retries (at most "
            + retries.getMaxAttempts() + " attempts in " + retries.getTotalTimeoutDuration().toMillis()
            + " ms); the task was not enqueued, try again later",
        true,
        last);
  }

  QueueException interrupted(String taskId) {
    return new QueueException(
        "interrupted during CreateTask for task " + taskId + " on queue " + config.queuePath()
            + "; the task may or may not be enqueued, enqueue it again (a duplicate is ignored)",
        true,
        null);
  }

  /** A failure that retrying at once cannot fix. */
  QueueException permanent(String taskId, ApiException e) {
    String queue = config.queuePath();
    String q = config.queueName();
    String where = " --location=" + config.location() + " --project=" + config.projectId();
    return switch (e.getStatusCode().getCode()) {
      case PERMISSION_DENIED -> new QueueException(
          "Cloud Tasks denied CreateTask on queue " + queue + " (" + describe(e) + "). Grant the "
              + "orchestrator's service account the right to enqueue: gcloud tasks queues "
              + "add-iam-policy-binding " + q + where + " --member=serviceAccount:ORCHESTRATOR_SA "
              + "--role=roles/cloudtasks.enqueuer ; and the right to mint OIDC tokens as "
              + config.serviceAccountEmail() + " (GCP_SERVICE_ACCOUNT_EMAIL): gcloud iam "
              + "service-accounts add-iam-policy-binding " + config.serviceAccountEmail()
              + " --project=" + config.projectId() + " --member=serviceAccount:ORCHESTRATOR_SA "
              + "--role=roles/iam.serviceAccountUser",
          false,
          e);
      case NOT_FOUND -> new QueueException(
          "Cloud Tasks queue " + queue + " does not exist (" + describe(e) + "). Create it with: "
              + "gcloud tasks queues create " + q + where + " ; or correct GCP_PROJECT_ID, "
              + "GCP_LOCATION and GCP_QUEUE_NAME",
          false,
          e);
      case UNAUTHENTICATED -> new QueueException(
          "Cloud Tasks rejected the orchestrator's credentials for queue " + queue + " (" + describe(e)
              + "). On Cloud Run the service's identity is used; elsewhere run gcloud auth "
              + "application-default login or set GOOGLE_APPLICATION_CREDENTIALS; for an emulator set "
              + CloudTasksConfig.SERVO_CLOUD_TASKS_ENDPOINT,
          false,
          e);
      case INVALID_ARGUMENT -> new QueueException(
          "Cloud Tasks rejected task " + taskId + " for queue " + queue + " as invalid ("
              + describe(e) + "); check GCP_WORKER_URL, GCP_SERVICE_ACCOUNT_EMAIL and the task's headers",
          false,
          e);
      case FAILED_PRECONDITION -> new QueueException(
          "Cloud Tasks refused task " + taskId + " for queue " + queue + " (" + describe(e)
              + "); the queue may be disabled or being deleted: gcloud tasks queues describe " + q + where,
          false,
          e);
      // Anything else (CANCELLED, ABORTED, UNKNOWN, ...) may well pass on a later attempt.
      default -> new QueueException(
          "Cloud Tasks CreateTask for task " + taskId + " on queue " + queue + " failed with "
              + describe(e) + "; try again later",
          true,
          e);
    };
  }

  private static String describe(ApiException e) {
    String message = e.getMessage();
    String code = e.getStatusCode().getCode().name();
    // gax prefixes the message with "io.grpc.StatusRuntimeException: CODE: ", keep just the text.
    int at = message == null ? -1 : message.indexOf(code + ": ");
    String text = at >= 0 ? message.substring(at + code.length() + 2) : message;
    return text == null || text.isBlank() ? code : code + ": " + text;
  }
}
