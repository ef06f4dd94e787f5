package io.servo.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.SettingsException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef-secret";

  @Test
  void defaults() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of());
    assertThat(config.port()).isEqualTo(8081);
    assertThat(config.environment()).isEqualTo(DeploymentEnvironment.DEVELOPMENT);
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
        "SERVO_EXECUTION_LEASE", "90s",
        // staging turns OIDC on by default, which needs these two
        "SERVO_OIDC_AUDIENCE", "https://w.a.run.app", "SERVO_OIDC_ALLOWED_EMAILS", "a@b.com"));
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.environment()).isEqualTo(DeploymentEnvironment.STAGING);
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
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_HMAC_SECRET")
        .hasMessageContaining("openssl rand -base64 48");
  }

  @Test
  void developmentWithoutSecretFailsAtStartUpUnlessOneIsSupplied() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of());
    assertThatThrownBy(config::requireHmacSecret)
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_HMAC_SECRET is not set");
    assertThat(config.withHmacSecret(SECRET).requireHmacSecret()).isEqualTo(SECRET);
  }

  @Test
  void shortSecretIsRejectedWithoutShowingIt() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_HMAC_SECRET", "tooshort-value")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_HMAC_SECRET has an invalid value (not shown: it is a secret): expected at least"
            + " 32 bytes (it has 14)")
        .hasMessageNotContaining("tooshort-value");
  }

  @Test
  void invalidValuesNameTheVariableTheValueAndWhatIsAccepted() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("PORT", "eighty")))
        .hasMessage("the worker cannot start: PORT has invalid value 'eighty': expected a whole number from 0 to 65535");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_ENVIRONMENT", "prod")))
        .hasMessage("the worker cannot start: SERVO_ENVIRONMENT has invalid value 'prod': expected one of production, staging, development");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_EXECUTION_LEASE", "soon")))
        .hasMessageStartingWith("the worker cannot start: SERVO_EXECUTION_LEASE has invalid value 'soon': expected a duration");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_WORKER_THREADS", "0")))
        .hasMessageStartingWith("the worker cannot start: SERVO_WORKER_THREADS has invalid value '0'");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_MAX_BODY_BYTES", "-1")))
        .hasMessageStartingWith("the worker cannot start: SERVO_MAX_BODY_BYTES has invalid value '-1'");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(
            Map.of("SERVO_DATABASE_URL", "mysql://u:hunter2@db/servo?password=hunter2")))
        .hasMessageStartingWith("the worker cannot start: SERVO_DATABASE_URL has invalid value")
        .hasMessageContaining("jdbc:postgresql:")
        .hasMessageNotContaining("hunter2");
  }

  private static final String AUDIENCE_HINT = "set SERVO_OIDC_AUDIENCE to the audience Cloud Tasks "
      + "puts in its ID tokens, the worker's URL, e.g. https://servo-worker-abc123-ew.a.run.app (the "
      + "orchestrator's GCP_WORKER_URL, or its SERVO_OIDC_AUDIENCE when set there)";
  private static final String EMAILS_HINT = "set SERVO_OIDC_ALLOWED_EMAILS to the email of the "
      + "service account Cloud Tasks signs the tokens as (the orchestrator's GCP_SERVICE_ACCOUNT_EMAIL), "
      + "e.g. servo-tasks@my-project.iam.gserviceaccount.com; separate several with commas";
  private static final String TURN_OFF = ". To rely on the HMAC signature alone (not recommended "
      + "outside development), set SERVO_OIDC_ENABLED=false";

  @Test
  void oidcAndRateLimitAreOffByDefaultInDevelopment() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of());
    assertThat(config.oidc().enabled()).isFalse();
    assertThat(config.oidc().issuer()).isEqualTo("https://accounts.google.com");
    assertThat(config.oidc().jwksUrl()).hasToString("https://www.googleapis.com/oauth2/v3/certs");
    assertThat(config.rateLimitPerTenant()).isZero();
    assertThat(config.toString()).contains("oidc[disabled]", "rateLimitPerTenant=off");
  }

  @Test
  void oidcIsOnByDefaultOutsideDevelopmentAndNeedsAudienceAndEmails() {
    for (String environment : new String[] {"production", "staging"}) {
      assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of(
              "SERVO_ENVIRONMENT", environment, "SERVO_HMAC_SECRET", SECRET)))
          .isInstanceOf(SettingsException.class)
          .hasMessage("the worker cannot start: OIDC verification of Cloud Tasks requests is on (SERVO_OIDC_ENABLED is true "
              + "by default when SERVO_ENVIRONMENT=" + environment + ") but SERVO_OIDC_AUDIENCE and "
              + "SERVO_OIDC_ALLOWED_EMAILS are not set: " + AUDIENCE_HINT + "; " + EMAILS_HINT + TURN_OFF);
    }

    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of(
        "SERVO_ENVIRONMENT", "production", "SERVO_HMAC_SECRET", SECRET,
        "SERVO_OIDC_AUDIENCE", " https://servo-worker-abc123-ew.a.run.app ",
        "SERVO_OIDC_ALLOWED_EMAILS", "Servo-Tasks@p.iam.gserviceaccount.com, ,b@p.iam.gserviceaccount.com"));
    assertThat(config.oidc().enabled()).isTrue();
    assertThat(config.oidc().audience()).isEqualTo("https://servo-worker-abc123-ew.a.run.app");
    assertThat(config.oidc().allowedEmails())
        .containsExactly("servo-tasks@p.iam.gserviceaccount.com", "b@p.iam.gserviceaccount.com");
    assertThat(config.oidc().issuer()).isEqualTo("https://accounts.google.com");
  }

  @Test
  void explicitlyEnabledOidcNamesWhatIsMissing() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of(
            "SERVO_OIDC_ENABLED", "true", "SERVO_OIDC_AUDIENCE", "https://w.a.run.app")))
        .hasMessage("the worker cannot start: OIDC verification of Cloud Tasks requests is on (SERVO_OIDC_ENABLED=true) but "
            + "SERVO_OIDC_ALLOWED_EMAILS is not set: " + EMAILS_HINT + TURN_OFF);
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of(
            "SERVO_OIDC_ENABLED", "TRUE", "SERVO_OIDC_ALLOWED_EMAILS", "a@b.com")))
        .hasMessage("the worker cannot start: OIDC verification of Cloud Tasks requests is on (SERVO_OIDC_ENABLED=true) but "
            + "SERVO_OIDC_AUDIENCE is not set: " + AUDIENCE_HINT + TURN_OFF);
  }

  @Test
  void oidcCanBeTurnedOffOutsideDevelopment() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of(
        "SERVO_ENVIRONMENT", "staging", "SERVO_HMAC_SECRET", SECRET, "SERVO_OIDC_ENABLED", "false"));
    assertThat(config.oidc().enabled()).isFalse();
  }

  @Test
  void readsOidcAndRateLimitVariables() {
    WorkerConfig config = WorkerConfig.fromEnvironment(Map.of(
        "SERVO_OIDC_ENABLED", "true", "SERVO_OIDC_AUDIENCE", "https://w.a.run.app",
        "SERVO_OIDC_ALLOWED_EMAILS", "a@b.com", "SERVO_OIDC_ISSUER", "https://issuer.example.com",
        "SERVO_OIDC_JWKS_URL", "http://127.0.0.1:9999/certs", "SERVO_RATE_LIMIT_PER_TENANT", "2.5"));
    assertThat(config.oidc().issuer()).isEqualTo("https://issuer.example.com");
    assertThat(config.oidc().jwksUrl()).hasToString("http://127.0.0.1:9999/certs");
    assertThat(config.rateLimitPerTenant()).isEqualTo(2.5);
    assertThat(config.toString()).contains("audience=https://w.a.run.app", "rateLimitPerTenant=2.5/s");
    assertThat(WorkerConfig.fromEnvironment(Map.of("SERVO_OIDC_ISSUER", "accounts.google.com"))
        .oidc().issuer()).isEqualTo("https://accounts.google.com");
    assertThat(WorkerConfig.fromEnvironment(Map.of("SERVO_RATE_LIMIT_PER_TENANT", "off"))
        .rateLimitPerTenant()).isZero();
  }

  @Test
  void invalidOidcAndRateLimitValuesAreRejected() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_OIDC_ENABLED", "yes")))
        .hasMessage("the worker cannot start: SERVO_OIDC_ENABLED has invalid value 'yes': expected true or false");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(
            Map.of("SERVO_OIDC_JWKS_URL", "http://keys.example.com/certs")))
        .hasMessageStartingWith("the worker cannot start: SERVO_OIDC_JWKS_URL has invalid value 'http://keys.example.com/certs': expected the https URL");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_OIDC_ISSUER", "google")))
        .hasMessageStartingWith("the worker cannot start: SERVO_OIDC_ISSUER has invalid value 'google'");
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_OIDC_ALLOWED_EMAILS", "a@b.com,nobody")))
        .hasMessageStartingWith("the worker cannot start: SERVO_OIDC_ALLOWED_EMAILS has invalid entry 'nobody': expected comma-separated service account emails");
    for (String rate : new String[] {"-1", "fast", "NaN", "1e3", "20000"}) {
      assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of("SERVO_RATE_LIMIT_PER_TENANT", rate)))
          .hasMessageStartingWith("the worker cannot start: SERVO_RATE_LIMIT_PER_TENANT has invalid value '" + rate + "': expected the "
              + "executions a tenant may start per second");
    }
  }

  @Test
  void everyUnusableValueIsReportedAtOnce() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of(
        "SERVO_ENVIRONMENT", "production", "PORT", "eighty", "SERVO_EXECUTION_LEASE", "soon",
        "SERVO_OIDC_ALLOWED_EMAILS", "nobody")))
        .isInstanceOf(SettingsException.class)
        .satisfies(e -> assertThat(((SettingsException) e).variables()).containsExactly(
            "SERVO_HMAC_SECRET", "PORT", "SERVO_EXECUTION_LEASE", "SERVO_OIDC_ALLOWED_EMAILS",
            "SERVO_OIDC_AUDIENCE"))
        .hasMessageStartingWith("the worker cannot start (5 problems):\n  - SERVO_HMAC_SECRET is required");
  }

  /** Found by ConfigFuzzTest: a list of nothing but commas passed as set, and OidcConfig threw. */
  @Test
  void allowedEmailsOfOnlyCommasAreNotSet() {
    assertThatThrownBy(() -> WorkerConfig.fromEnvironment(Map.of(
        "SERVO_OIDC_ENABLED", "true", "SERVO_OIDC_AUDIENCE", "https://w.a.run.app",
        "SERVO_OIDC_ALLOWED_EMAILS", " , ,")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_OIDC_ALLOWED_EMAILS is not set");
  }
}
