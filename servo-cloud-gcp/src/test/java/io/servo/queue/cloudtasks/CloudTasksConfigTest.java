package io.servo.queue.cloudtasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.SettingsException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CloudTasksConfigTest {
  static Map<String, String> complete() {
    Map<String, String> env = new HashMap<>();
    env.put("GCP_PROJECT_ID", "acme-prod");
    env.put("GCP_LOCATION", "europe-west1");
    env.put("GCP_QUEUE_NAME", "servo-tasks");
    env.put("GCP_WORKER_URL", "https://servo-worker-abc-ew.a.run.app/");
    env.put("GCP_SERVICE_ACCOUNT_EMAIL", "servo-invoker@acme-prod.iam.gserviceaccount.com");
    return env;
  }

  @Test
  void readsEveryVariable() {
    Map<String, String> env = complete();
    env.put("SERVO_OIDC_AUDIENCE", "servo-worker");
    env.put("SERVO_CLOUD_TASKS_ENDPOINT", "localhost:8123");

    CloudTasksConfig config = CloudTasksConfig.fromEnvironment(env);

    assertThat(config.queuePath()).isEqualTo("projects/acme-prod/locations/europe-west1/queues/servo-tasks");
    assertThat(config.executeUrl()).isEqualTo("https://servo-worker-abc-ew.a.run.app/execute");
    assertThat(config.oidcAudience()).isEqualTo("servo-worker");
    assertThat(config.emulatorEndpoint()).contains("localhost:8123");
  }

  @Test
  void audienceDefaultsToTheWorkerUrlAndNoEmulator() {
    CloudTasksConfig config = CloudTasksConfig.fromEnvironment(complete());

    assertThat(config.oidcAudience()).isEqualTo("https://servo-worker-abc-ew.a.run.app/");
    assertThat(config.emulatorEndpoint()).isEmpty();
  }

  @Test
  void missingVariablesAreAllNamedWithTheirPurpose() {
    Map<String, String> env = complete();
    env.remove("GCP_LOCATION");
    env.remove("GCP_SERVICE_ACCOUNT_EMAIL");
    env.put("GCP_WORKER_URL", " ");

    assertThatThrownBy(() -> CloudTasksConfig.fromEnvironment(env))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("GCP_LOCATION is not set: the queue's region")
        .hasMessageContaining("GCP_SERVICE_ACCOUNT_EMAIL is not set: the service account Cloud Tasks mints the OIDC token for")
        .hasMessageContaining("GCP_WORKER_URL is not set: the worker's base URL")
        .hasMessageNotContaining("GCP_PROJECT_ID")
        .hasMessageNotContaining("GCP_QUEUE_NAME");
  }

  @Test
  void nothingSetNamesAllFive() {
    assertThatThrownBy(() -> CloudTasksConfig.fromEnvironment(Map.of()))
        .hasMessageContainingAll("GCP_PROJECT_ID", "GCP_LOCATION", "GCP_QUEUE_NAME", "GCP_WORKER_URL",
            "GCP_SERVICE_ACCOUNT_EMAIL");
  }

  @Test
  void unusableValuesAreNamedWithWhatIsAccepted() {
    Map<String, String> env = complete();
    env.put("GCP_WORKER_URL", "servo-worker");
    env.put("SERVO_CLOUD_TASKS_ENDPOINT", "http://localhost:8123");
    env.put("GCP_QUEUE_NAME", "projects/p/locations/l/queues/q");

    assertThatThrownBy(() -> CloudTasksConfig.fromEnvironment(env))
        .hasMessageContaining("GCP_WORKER_URL has invalid value 'servo-worker'")
        .hasMessageContaining("SERVO_CLOUD_TASKS_ENDPOINT has invalid value 'http://localhost:8123': expected host:port")
        .hasMessageContaining("GCP_QUEUE_NAME has invalid value");
  }
}
