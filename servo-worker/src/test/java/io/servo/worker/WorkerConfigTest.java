package io.servo.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef-secret";

  @Test
  void defaults() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of());
    assertThat(config.port()).isEqualTo(8081);
    assertThat(config.environment()).isEqualTo(WorkerConfig.Environment.DEVELOPMENT);
    assertThat(config.hmacSecret()).isNull();
    assertThat(config.databaseUrl()).isEqualTo("jdbc:sqlite:.servo/servo.db");
    assertThat(config.warehouseUrl()).isEqualTo(config.databaseUrl());
    assertThat(config.maxBodyBytes()).isEqualTo(1024 * 1024);
    assertThat(config.executionLease()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void readsEveryVariable() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of(
        "PORT", "9000", "SERVO_ENVIRONMENT", "staging", "SERVO_HMAC_SECRET", SECRET,
        "SERVO_DATABASE_URL", "jdbc:postgresql://db/servo", "SERVO_WAREHOUSE_URL",
        "jdbc:sqlite:/tmp/w.db", "SERVO_WORKER_THREADS", "3", "SERVO_MAX_BODY_BYTES", "2048",
        "SERVO_EXECUTION_LEASE", "90s"));
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.environment()).isEqualTo(WorkerConfig.Environment.STAGING);
    assertThat(config.requireHmacSecret()).isEqualTo(SECRET);
    assertThat(config.warehouseUrl()).isEqualTo("jdbc:sqlite:/tmp/w.db");
    assertThat(config.workerThreads()).isEqualTo(3);
    assertThat(config.maxBodyBytes()).isEqualTo(2048);
    assertThat(config.executionLease()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.toString()).doesNotContain(SECRET).contains("hmacSecret=(set)");
  }

  @Test
  void secretIsRequiredOutsideDevelopment() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_ENVIRONMENT", "production")))
        .isInstanceOf(WorkerConfigException.class)
        .hasMessageContaining("SERVO_HMAC_SECRET")
        .hasMessageContaining("openssl rand -base64 48");
  }

  @Test
  void developmentWithoutSecretFailsAtStartUpUnlessOneIsSupplied() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of());
    assertThatThrownBy(config::requireHmacSecret)
        .isInstanceOf(WorkerConfigException.class)
        .hasMessageContaining("SERVO_HMAC_SECRET is not set");
    assertThat(config.withHmacSecret(SECRET).requireHmacSecret()).isEqualTo(SECRET);
  }

  @Test
  void shortSecretIsRejectedWithoutShowingIt() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_HMAC_SECRET", "tooshort-value")))
        .isInstanceOf(WorkerConfigException.class)
        .hasMessageContaining("SERVO_HMAC_SECRET is too short (14 bytes")
        .hasMessageNotContaining("tooshort-value");
  }

  @Test
  void invalidValuesNameTheVariableTheValueAndWhatIsAccepted() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("PORT", "eighty")))
        .hasMessage("PORT='eighty' is not valid: use a TCP port number from 0 to 65535 (default 8081)");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_ENVIRONMENT", "prod")))
        .hasMessage("SERVO_ENVIRONMENT='prod' is not valid: use production, staging or development");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_EXECUTION_LEASE", "soon")))
        .hasMessageStartingWith("SERVO_EXECUTION_LEASE='soon' is not valid: use a duration");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_WORKER_THREADS", "0")))
        .hasMessageStartingWith("SERVO_WORKER_THREADS='0' is not valid");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_MAX_BODY_BYTES", "-1")))
        .hasMessageStartingWith("SERVO_MAX_BODY_BYTES='-1' is not valid");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(
            Map.of("SERVO_DATABASE_URL", "mysql://u:hunter2@db/servo?password=hunter2")))
        .hasMessageStartingWith("SERVO_DATABASE_URL=")
        .hasMessageContaining("jdbc:postgresql:")
        .hasMessageNotContaining("hunter2");
  }
}
