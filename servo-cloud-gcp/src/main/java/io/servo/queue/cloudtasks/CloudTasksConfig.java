package io.servo.queue.cloudtasks;

import io.servo.settings.QuotedValue;
import io.servo.settings.Settings;
import io.servo.settings.SettingsException;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the Cloud Tasks queue lives and whom its tasks are delivered to, read from the
 * environment with {@link #fromEnvironment(Map)}.
 *
 * @param projectId {@code GCP_PROJECT_ID}
 * @param location {@code GCP_LOCATION}, the queue's region, e.g. {@code europe-west1}
 * @param queueName {@code GCP_QUEUE_NAME}, the queue's short id
 * @param workerUrl {@code GCP_WORKER_URL}, the worker's base URL; tasks go to {@code /execute}
 * @param serviceAccountEmail {@code GCP_SERVICE_ACCOUNT_EMAIL}, the identity Cloud Tasks mints the
 *     OIDC token for
 * @param oidcAudience {@code SERVO_OIDC_AUDIENCE}, the token's {@code aud}; the worker URL when unset
 * @param emulatorEndpoint {@code SERVO_CLOUD_TASKS_ENDPOINT}, host:port of a plaintext emulator
 *     reached without credentials; empty for the real service with Application Default Credentials
 */
public record CloudTasksConfig(
    String projectId,
    String location,
    String queueName,
    URI workerUrl,
    String serviceAccountEmail,
    String oidcAudience,
    Optional<String> emulatorEndpoint) {
  public static final String GCP_PROJECT_ID = "GCP_PROJECT_ID";
  public static final String GCP_LOCATION = "GCP_LOCATION";
  public static final String GCP_QUEUE_NAME = "GCP_QUEUE_NAME";
  public static final String GCP_WORKER_URL = "GCP_WORKER_URL";
  public static final String GCP_SERVICE_ACCOUNT_EMAIL = "GCP_SERVICE_ACCOUNT_EMAIL";
  public static final String SERVO_OIDC_AUDIENCE = "SERVO_OIDC_AUDIENCE";
  public static final String SERVO_CLOUD_TASKS_ENDPOINT = "SERVO_CLOUD_TASKS_ENDPOINT";

  /** What cannot start when these settings are unusable; the start of {@link SettingsException}'s message. */
  static final String SUBJECT = "Cloud Tasks queue (SERVO_QUEUE=cloudtasks)";

  /** The worker's task endpoint, appended to {@link #workerUrl()}. */
  public static final String EXECUTE_PATH = "/execute";

  private static final Pattern HOST_PORT = Pattern.compile("^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}$");

  public CloudTasksConfig {
    Objects.requireNonNull(projectId, "projectId");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(queueName, "queueName");
    Objects.requireNonNull(workerUrl, "workerUrl");
    Objects.requireNonNull(serviceAccountEmail, "serviceAccountEmail");
    Objects.requireNonNull(oidcAudience, "oidcAudience");
    Objects.requireNonNull(emulatorEndpoint, "emulatorEndpoint");
  }

  /** Reads the process environment. */
  public static CloudTasksConfig fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * Reads the given variables as if they were the process environment.
   *
   * @throws SettingsException naming every variable that is missing or unusable
   */
  public static CloudTasksConfig fromEnvironment(Map<String, String> env) {
    Settings settings = Settings.of(env, SUBJECT);
    String project = settings.requiredString(GCP_PROJECT_ID, "the Google Cloud project that owns the queue");
    String location = settings.requiredString(GCP_LOCATION, "the queue's region, e.g. europe-west1");
    String queue = settings.requiredString(GCP_QUEUE_NAME, "the Cloud Tasks queue id, e.g. servo-tasks");
    settings.requiredString(GCP_WORKER_URL, "the worker's base URL, e.g. "
        + "https://servo-worker-abc-ew.a.run.app; tasks are POSTed to its " + EXECUTE_PATH);
    URI workerUrl = settings.httpUrl(GCP_WORKER_URL, null, "https://servo-worker-abc-ew.a.run.app");
    String email = settings.requiredString(GCP_SERVICE_ACCOUNT_EMAIL,
        "the service account Cloud Tasks mints the OIDC token for, e.g. "
            + "servo-invoker@PROJECT.iam.gserviceaccount.com");
    if (email != null && !email.contains("@")) {
      settings.invalid(GCP_SERVICE_ACCOUNT_EMAIL, email,
          "a service account email such as NAME@PROJECT.iam.gserviceaccount.com");
    }
    if (queue != null && queue.contains("/")) {
      settings.invalid(GCP_QUEUE_NAME, queue, "the queue's short id (e.g. servo-tasks), not its full path");
    }
    String endpoint = settings.value(SERVO_CLOUD_TASKS_ENDPOINT, null,
        v -> HOST_PORT.matcher(v).matches() ? v : null,
        "host:port of a plaintext Cloud Tasks emulator, e.g. localhost:8123");
    String audience = settings.string(SERVO_OIDC_AUDIENCE, null);
    settings.check();
    return new CloudTasksConfig(
        project,
        location,
        queue,
        workerUrl,
        email,
        audience != null ? audience : workerUrl.toString(),
        Optional.ofNullable(endpoint));
  }

  /**
   * The same queue targeting another worker service (a tenant's own), with that worker's URL as
   * the OIDC audience, as Cloud Run expects.
   */
  public CloudTasksConfig forWorker(URI otherWorkerUrl) {
    Objects.requireNonNull(otherWorkerUrl, "otherWorkerUrl");
    return new CloudTasksConfig(projectId, location, queueName, otherWorkerUrl, serviceAccountEmail,
        otherWorkerUrl.toString(), emulatorEndpoint);
  }

  /** {@code projects/P/locations/L/queues/Q}. */
  public String queuePath() {
    return "projects/" + projectId + "/locations/" + location + "/queues/" + queueName;
  }

  /** The URL every task is POSTed to: the worker URL with {@value #EXECUTE_PATH} appended. */
  public String executeUrl() {
    String base = workerUrl.toString();
    return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + EXECUTE_PATH;
  }

  /** Shows the URLs without their passwords (a worker URL may carry basic-auth credentials). */
  @Override
  public String toString() {
    return QuotedValue.escapeControlCharacters("CloudTasksConfig[projectId=" + projectId + ", location=" + location + ", queueName=" + queueName
        + ", workerUrl=" + QuotedValue.of(workerUrl.toString(), 300)
        + ", serviceAccountEmail=" + serviceAccountEmail
        + ", oidcAudience=" + QuotedValue.of(oidcAudience, 300)
        + ", emulatorEndpoint=" + emulatorEndpoint.map(e -> QuotedValue.of(e, 300)).orElse("-") + "]");
  }
}
