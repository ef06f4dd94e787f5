package io.servo.queue.cloudtasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.SettingsException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The start-up error lists one problem per line; a value it quotes can neither add lines of its own
 * nor show a password, and an accepted worker URL with a password is masked when the configuration
 * is shown.
 */
class CloudTasksConfigHostileValuesTest {
  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("GCP_PROJECT_ID", "p");
    env.put("GCP_LOCATION", "europe-west1");
    env.put("GCP_QUEUE_NAME", "servo-tasks");
    env.put("GCP_WORKER_URL", "https://worker.example");
    env.put("GCP_SERVICE_ACCOUNT_EMAIL", "tasks@p.iam.gserviceaccount.com");
    return env;
  }

  @ParameterizedTest
  @ValueSource(strings = {"GCP_QUEUE_NAME", "GCP_WORKER_URL", "GCP_SERVICE_ACCOUNT_EMAIL", "SERVO_CLOUD_TASKS_ENDPOINT"})
  void aQuotedValueAddsNoLine(String variable) {
    Map<String, String> env = env();
    env.put(variable, "bad/\n  - GCP_PROJECT_ID is fine\u001b[2J");

    assertThatThrownBy(() -> CloudTasksConfig.fromEnvironment(env))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining(variable + " has invalid value 'bad/\\n  - GCP_PROJECT_ID is fine\\u001b[2J'")
        .satisfies(e -> assertThat(e.getMessage().lines()).hasSize(1));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "GCP_WORKER_URL | https://u:hunter2@worker.example?x=1",
      "GCP_WORKER_URL | u:hunter2@worker.example",
      "SERVO_CLOUD_TASKS_ENDPOINT | http://u:hunter2@localhost:8123",
      "SERVO_CLOUD_TASKS_ENDPOINT | u:hunter2@localhost:8123",
  })
  void aRejectedValueNeverShowsAPassword(String variable, String value) {
    Map<String, String> env = env();
    env.put(variable, value);

    assertThatThrownBy(() -> CloudTasksConfig.fromEnvironment(env))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining(variable + " has invalid value '")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void anAcceptedWorkerUrlWithAPasswordIsMaskedWhenShown() {
    Map<String, String> env = env();
    env.put("GCP_WORKER_URL", "https://u:hunter2@worker.example");

    CloudTasksConfig config = CloudTasksConfig.fromEnvironment(env);

    assertThat(config.executeUrl()).isEqualTo("https://u:hunter2@worker.example/execute");
    assertThat(config.toString()).doesNotContain("hunter2").contains("workerUrl=https://u:[REDACTED]@worker.example");
  }
}
