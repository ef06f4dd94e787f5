package io.servo.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    assertThat(c.environment()).isEqualTo(OrchestratorConfig.Environment.DEVELOPMENT);
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
        .isInstanceOf(OrchestratorConfigException.class)
        .hasMessageStartingWith("SERVO_TRACE_INBOUND has invalid value 'trust': accepted values are parent")
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
    assertThat(c.environment()).isEqualTo(OrchestratorConfig.Environment.PRODUCTION);
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
        .isInstanceOf(OrchestratorConfigException.class)
        .hasMessage(message);
  }

  @Test
  void rejectsInvalidValuesNamingVariableValueAndAcceptedValues() {
    rejects(Map.of("PORT", "http"),
        "PORT has invalid value 'http': accepted values are integers from 0 to 65535");
    rejects(Map.of("PORT", "70000"),
        "PORT has invalid value '70000': accepted values are integers from 0 to 65535");
    rejects(Map.of("SERVO_ENVIRONMENT", "prod"),
        "SERVO_ENVIRONMENT has invalid value 'prod': accepted values are production, staging, development");
    rejects(Map.of("SERVO_QUEUE", "sqs"),
        "SERVO_QUEUE has invalid value 'sqs': accepted values are local, cloudtasks");
    rejects(Map.of("SERVO_WORKER_URL", "localhost:8081"),
        "SERVO_WORKER_URL has invalid value 'localhost:8081': accepted values are http:// or https://"
            + " URLs of the worker, for example http://localhost:8081");
    rejects(Map.of("SERVO_LOCAL_QUEUE_MAX_ATTEMPTS", "0"),
        "SERVO_LOCAL_QUEUE_MAX_ATTEMPTS has invalid value '0': accepted values are integers from 1 to 1000");
    rejects(Map.of("SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES", "0"),
        "SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES has invalid value '0': accepted values are integers"
            + " from 1 to 1000");
    rejects(Map.of("SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES", "unlimited"),
        "SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES has invalid value 'unlimited': accepted values are"
            + " integers from 1 to 1000");
    rejects(Map.of("SERVO_MAX_BODY_BYTES", "1MB"),
        "SERVO_MAX_BODY_BYTES has invalid value '1MB': accepted values are integers from 1024 to 67108864");
    rejects(Map.of("SERVO_DATABASE_URL", "postgres://db/servo"),
        "SERVO_DATABASE_URL has invalid value 'postgres://db/servo': accepted values are"
            + " jdbc:postgresql:… and jdbc:sqlite:… URLs");
    rejects(Map.of("SERVO_HMAC_SECRET", "short-secret"),
        "SERVO_HMAC_SECRET must be at least 32 bytes (it has 12); generate one with: openssl rand -base64 48");
  }

  @Test
  void malformedTokensAreReportedWithoutEchoingThem() {
    for (String tokens : new String[] {"acme", "acme:", ":s3cr3t-value", "acme:s3cr3t-value,,x:y",
        "bad tenant!:s3cr3t-value", "acme:s3cr3t value", "acme:s3cr3t-value,acme:other"}) {
      assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("SERVO_API_TOKENS", tokens)))
          .isInstanceOf(OrchestratorConfigException.class)
          .hasMessageStartingWith("SERVO_API_TOKENS is malformed: entry ")
          .hasMessageContaining("tenant:token pairs separated by commas")
          .message().doesNotContain("s3cr3t", "other");
    }
    rejects(Map.of("SERVO_API_TOKENS", "acme:same-token,globex:same-token"),
        "SERVO_API_TOKENS is malformed: entry 2 of 2 reuses another tenant's token (tokens must be"
            + " unique). Accepted: tenant:token pairs separated by commas, for example"
            + " acme:<token>,globex:<token>");
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
        .isInstanceOf(OrchestratorConfigException.class)
        .hasMessageStartingWith("SERVO_HMAC_SECRET must be at least 32 bytes (it has 8)");
  }
}
