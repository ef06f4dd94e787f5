package io.servo.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.SettingsException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OrchestratorConfigTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @Test
  void defaults() {
    OrchestratorConfig c = OrchestratorConfig.fromEnvironment(Map.of());

    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.environment()).isEqualTo(DeploymentEnvironment.DEVELOPMENT);
    assertThat(c.apiTokens()).isEmpty();
    assertThat(c.hmacSecret()).isEmpty();
    assertThat(c.databaseUrl()).isEqualTo("jdbc:sqlite:.servo/servo.db");
    assertThat(c.queue()).isEqualTo(OrchestratorConfig.QueueBackend.LOCAL);
    assertThat(c.workerUrl()).isEqualTo(URI.create("http://localhost:8081"));
    assertThat(c.localQueueMaxAttempts()).isEqualTo(10);
    assertThat(c.localQueueMaxConcurrentDispatches()).isEqualTo(8);
    assertThat(c.maxBodyBytes()).isEqualTo(1024 * 1024);
    assertThat(c.traceInbound()).isEqualTo(OrchestratorConfig.TraceInbound.PARENT);
  }

  @Test
  void readsTraceInbound() {
    for (OrchestratorConfig.TraceInbound mode : OrchestratorConfig.TraceInbound.values()) {
      assertThat(OrchestratorConfig.fromEnvironment(Map.of("SERVO_TRACE_INBOUND", mode.id().toUpperCase()))
          .traceInbound()).isEqualTo(mode);
    }
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("SERVO_TRACE_INBOUND", "trust")))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("the orchestrator cannot start: SERVO_TRACE_INBOUND has invalid value 'trust':"
            + " expected one of parent")
        .hasMessageContaining("link")
        .hasMessageContaining("ignore");
  }

  @Test
  void readsEveryVariable() {
    OrchestratorConfig c = OrchestratorConfig.fromEnvironment(Map.of(
        "PORT", "9090",
        "SERVO_ENVIRONMENT", "production",
        "SERVO_API_TOKENS", "acme:tokA, globex:tokB",
        "SERVO_HMAC_SECRET", SECRET,
        "SERVO_DATABASE_URL", "jdbc:postgresql://db:5432/servo",
        "SERVO_QUEUE", "cloudtasks",
        "SERVO_WORKER_URL", "https://worker.example.com",
        "SERVO_LOCAL_QUEUE_MAX_ATTEMPTS", "3",
        "SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES", "64",
        "SERVO_MAX_BODY_BYTES", "4096"));

    assertThat(c.port()).isEqualTo(9090);
    assertThat(c.environment()).isEqualTo(DeploymentEnvironment.PRODUCTION);
    assertThat(c.apiTokens()).containsExactlyInAnyOrderEntriesOf(Map.of("acme", "tokA", "globex", "tokB"));
    assertThat(c.hmacSecret()).hasValueSatisfying(
        s -> assertThat(new String(s, StandardCharsets.UTF_8)).isEqualTo(SECRET));
    assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://db:5432/servo");
    assertThat(c.queue()).isEqualTo(OrchestratorConfig.QueueBackend.CLOUDTASKS);
    assertThat(c.workerUrl()).isEqualTo(URI.create("https://worker.example.com"));
    assertThat(c.localQueueMaxAttempts()).isEqualTo(3);
    assertThat(c.localQueueMaxConcurrentDispatches()).isEqualTo(64);
    assertThat(c.maxBodyBytes()).isEqualTo(4096);
    assertThat(c.toString()).doesNotContain("tokA", "tokB", SECRET).contains("acme", "globex");
  }

  private static void rejects(Map<String, String> env, String message) {
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(env))
        .isInstanceOf(SettingsException.class)
        .hasMessage("the orchestrator cannot start: " + message);
  }

  @Test
  void rejectsInvalidValuesNamingVariableValueAndAcceptedValues() {
    rejects(Map.of("PORT", "http"),
        "PORT has invalid value 'http': expected a whole number from 0 to 65535");
    rejects(Map.of("PORT", "70000"),
        "PORT has invalid value '70000': expected a whole number from 0 to 65535");
    rejects(Map.of("SERVO_ENVIRONMENT", "prod"),
        "SERVO_ENVIRONMENT has invalid value 'prod': expected one of production, staging, development");
    rejects(Map.of("SERVO_QUEUE", "sqs"),
        "SERVO_QUEUE has invalid value 'sqs': expected one of local, cloudtasks");
    rejects(Map.of("SERVO_WORKER_URL", "localhost:8081"),
        "SERVO_WORKER_URL has invalid value 'localhost:8081': expected an http:// or https://"
            + " URL with a host, without query, e.g. http://localhost:8081");
    rejects(Map.of("SERVO_LOCAL_QUEUE_MAX_ATTEMPTS", "0"),
        "SERVO_LOCAL_QUEUE_MAX_ATTEMPTS has invalid value '0': expected a whole number from 1 to 1000");
    rejects(Map.of("SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES", "0"),
        "SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES has invalid value '0': expected a whole number from 1 to 1000");
    rejects(Map.of("SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES", "unlimited"),
        "SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES has invalid value 'unlimited': expected a"
            + " whole number from 1 to 1000");
    rejects(Map.of("SERVO_MAX_BODY_BYTES", "1MB"),
        "SERVO_MAX_BODY_BYTES has invalid value '1MB': expected a whole number from 1024 to 67108864");
    rejects(Map.of("SERVO_DATABASE_URL", "postgres://db/servo"),
        "SERVO_DATABASE_URL has invalid value 'postgres://db/servo': expected"
            + " a jdbc:postgresql:… or jdbc:sqlite:… URL");
    rejects(Map.of("SERVO_HMAC_SECRET", "short-secret"),
        "SERVO_HMAC_SECRET has an invalid value (not shown: it is a secret): expected at least 32 bytes"
            + " (it has 12); generate one with: openssl rand -base64 48");
  }

  @Test
  void malformedTokensAreReportedWithoutEchoingThem() {
    for (String tokens : new String[] {"acme", "acme:", ":s3cr3t-value", "acme:s3cr3t-value,,x:y",
        "bad tenant!:s3cr3t-value", "acme:s3cr3t value", "acme:s3cr3t-value,acme:other"}) {
      assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("SERVO_API_TOKENS", tokens)))
          .isInstanceOf(SettingsException.class)
          .hasMessageStartingWith("the orchestrator cannot start: SERVO_API_TOKENS has an invalid value (not"
              + " shown: it is a secret): expected tenant:token pairs separated by commas")
          .hasMessageContaining("; entry ")
          .message().doesNotContain("s3cr3t", "other");
    }
    rejects(Map.of("SERVO_API_TOKENS", "acme:same-token,globex:same-token"),
        "SERVO_API_TOKENS has an invalid value (not shown: it is a secret): expected tenant:token pairs"
            + " separated by commas, for example acme:<token>,globex:<token>; entry 2 of 2 reuses another"
            + " tenant's token (tokens must be unique)");
  }

  @Test
  void outsideDevelopmentTokensAndSecretAreRequired() {
    rejects(Map.of("SERVO_ENVIRONMENT", "production", "SERVO_HMAC_SECRET", SECRET),
        "SERVO_API_TOKENS is not set, but SERVO_ENVIRONMENT is production: outside development every"
            + " request must authenticate. Set SERVO_API_TOKENS=tenant:token[,tenant:token...] or"
            + " SERVO_ENVIRONMENT=development");
    rejects(Map.of("SERVO_ENVIRONMENT", "staging", "SERVO_API_TOKENS", "a:tokA"),
        "SERVO_HMAC_SECRET is not set, but SERVO_ENVIRONMENT is staging: tasks must be signed with the"
            + " key the worker verifies. Set SERVO_HMAC_SECRET to at least 32 bytes (generate one"
            + " with: openssl rand -base64 48)");
  }

  @Test
  void aSecretCanBePassedProgrammatically() {
    byte[] generated = new byte[48];
    OrchestratorConfig c = OrchestratorConfig.fromEnvironment(Map.of()).withHmacSecret(generated);

    assertThat(c.hmacSecret()).hasValueSatisfying(s -> assertThat(s).isEqualTo(generated));
    assertThatThrownBy(() -> c.withHmacSecret(new byte[8]))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("the orchestrator cannot start: SERVO_HMAC_SECRET has an invalid value (not"
            + " shown: it is a secret): expected at least 32 bytes (it has 8)");
  }

  @Test
  void everyUnusableValueIsReportedAtOnceWithoutTheSecrets() {
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of(
        "SERVO_ENVIRONMENT", "production",
        "SERVO_API_TOKENS", "acme:s3cr3t-value,acme:other",
        "SERVO_HMAC_SECRET", "s3cr3t-short",
        "PORT", "http",
        "SERVO_QUEUE", "sqs")))
        .isInstanceOf(SettingsException.class)
        .satisfies(e -> assertThat(((SettingsException) e).variables())
            .containsExactly("PORT", "SERVO_API_TOKENS", "SERVO_HMAC_SECRET", "SERVO_QUEUE"))
        .hasMessageStartingWith("the orchestrator cannot start (4 problems):\n  - PORT has invalid value 'http'")
        .message().doesNotContain("s3cr3t", "other");
  }
}
