package io.servo.telemetry.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedactorTest {

  private final Redactor redactor = Redactor.defaults();

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "Authorization: Bearer abc.def-123 sent | Authorization: [REDACTED]",
      "calling with Bearer abcdef123456 now | calling with Bearer [REDACTED] now",
      "header Basic dXNlcjpwYXNzd29yZA== rejected | header Basic [REDACTED] rejected",
      "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-nature_x ok | token [REDACTED] ok",
      "got ya29.a0AfH6SMBx-3kq_secret back | got [REDACTED] back",
      "key=AIzaSyA1234567890abcdefghijklmnopqrstu1 | key=[REDACTED]",
      "url https://AIzaSyA1234567890abcdefghijklmnopqrstu1@x | url https://[REDACTED]@x",
      "postgres://servo:hunter2@db.internal:5432/servo | postgres://servo:[REDACTED]@db.internal:5432/servo",
      "jdbc:postgresql://db/servo?user=servo&password=hunter2&ssl=true | jdbc:postgresql://db/servo?user=servo&password=[REDACTED]&ssl=true",
      "Server=db;User Id=sa;Password=hunter2;Database=x | Server=db;User Id=sa;Password=[REDACTED];Database=x",
      "{\"client_secret\": \"abc123\", \"n\": 1} | {\"client_secret\": [REDACTED], \"n\": 1}",
      "aws AKIAIOSFODNN7EXAMPLE used | aws [REDACTED] used",
  })
  void secretShapedSubstringsAreReplacedKeepingTheRest(String input, String expected) {
    assertThat(redactor.redact(input)).isEqualTo(expected);
  }

  @Test
  void pemBlocksAreRemovedEvenWhenTruncated() {
    String pem = "key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\ndone";
    assertThat(redactor.redact(pem)).isEqualTo("key:\n[REDACTED]\ndone");
    assertThat(redactor.redact("x -----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBA"))
        .isEqualTo("x [REDACTED]");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
      "123e4567-e89b-12d3-a456-426614174000", "https://example.com/v1/workflows/daily_sales",
      "http://localhost:4318/v1/traces", "SELECT * FROM t WHERE id = ?",
      "UPDATE servo.executions SET state = ? WHERE id = ? AND password = ?",
      "db.internal.example.com", "/var/lib/servo/data.db", "user@example.com",
      "Basic authentication is required", "execution 42 finished in 12 ms",
      "GET /v1/executions/abc?page=2", "servo-worker-00042-abc", "ssh://git@github.com/o/r",
      "key=value", "2026-11-25T10:00:00Z", "[REDACTED]", "password=[REDACTED]",
      "SERVO_HMAC_SECRET=null", "password=null;x=1"})
  void ordinaryValuesPassUntouched(String value) {
    assertThat(redactor.redact(value)).isSameAs(value);
  }

  @Test
  void redactionIsIdempotent() {
    String once = redactor.redact("Authorization: Bearer abc postgres://u:p@h/db password=x");
    assertThat(redactor.redact(once)).isSameAs(once);
  }

  @Test
  void sensitiveKeysAreMatchedAnywhereAndCaseInsensitively() {
    for (String key : List.of("password", "DB_PASSWORD", "http.request.header.authorization",
        "x.Api_Key", "session.id", "servo.hmac", "client.secret.name", "oidc.token",
        "http.request.header.cookie", "my.jwt", "gcp.credential", "tls.private_key")) {
      assertThat(redactor.isSensitiveKey(key)).as(key).isTrue();
    }
    for (String key : List.of("http.method", "db.statement", "servo.execution.id", "url.full")) {
      assertThat(redactor.isSensitiveKey(key)).as(key).isFalse();
    }
    Redactor extra = Redactor.create(List.of("customer_email"));
    assertThat(extra.isSensitiveKey("app.Customer_Email")).isTrue();
    assertThat(redactor.isSensitiveKey("app.customer_email")).isFalse();
  }

  @Test
  void attributesAreRedactedByKeyAndByShape() {
    Attributes attributes = Attributes.builder()
        .put(AttributeKey.stringArrayKey("http.request.header.authorization"), List.of("Bearer abc"))
        .put("db.password", "hunter2")
        .put("gen_ai.token_count", 12L)
        .put("servo.oidc.enabled", true)
        .put("url.full", "https://u:hunter2@host/x")
        .put("servo.asset.name", "raw_orders")
        .put(AttributeKey.stringArrayKey("tags"), List.of("ok", "ya29.abcdefghijk"))
        .build();

    Attributes redacted = redactor.redact(attributes);

    assertThat(redacted.get(AttributeKey.stringKey("http.request.header.authorization")))
        .isEqualTo("[REDACTED]");
    assertThat(redacted.get(AttributeKey.stringKey("db.password"))).isEqualTo("[REDACTED]");
    assertThat(redacted.get(AttributeKey.stringKey("gen_ai.token_count"))).isEqualTo("[REDACTED]");
    assertThat(redacted.get(AttributeKey.booleanKey("servo.oidc.enabled"))).isTrue();
    assertThat(redacted.get(AttributeKey.stringKey("url.full"))).isEqualTo("https://u:[REDACTED]@host/x");
    assertThat(redacted.get(AttributeKey.stringKey("servo.asset.name"))).isEqualTo("raw_orders");
    assertThat(redacted.get(AttributeKey.stringArrayKey("tags"))).containsExactly("ok", "[REDACTED]");
  }

  @Test
  void attributesWithoutSecretsAreReturnedAsIs() {
    Attributes attributes = Attributes.builder()
        .put("http.request.method", "GET").put("url.full", "https://example.com/a?b=1")
        .put("servo.retry", 2L).build();
    assertThat(redactor.redact(attributes)).isSameAs(attributes);
  }

  @Test
  void sqlQueryTextLosesLiterals() {
    Attributes attributes = Attributes.of(AttributeKey.stringKey("db.query.text"),
        "SELECT * FROM t1 WHERE name = 'secret-literal' AND n = 42 AND id = $1");
    assertThat(redactor.redact(attributes).get(AttributeKey.stringKey("db.query.text")))
        .isEqualTo("SELECT * FROM t1 WHERE name = ? AND n = ? AND id = $1");
  }

  @Test
  void eachRedactorJudgesKeysByItsOwnListAlsoAfterSeeingThemMany() {
    Redactor withExtra = Redactor.create(List.of("customer_ref"));
    Attributes attributes = Attributes.of(AttributeKey.stringKey("app.customer_ref"), "c-42",
        AttributeKey.stringKey("db.statement"), "SELECT 1 FROM t WHERE a = 'x'");
    for (int i = 0; i < 3; i++) {
      assertThat(Redactor.defaults().redact(attributes).get(AttributeKey.stringKey("app.customer_ref")))
          .isEqualTo("c-42");
      assertThat(withExtra.redact(attributes).get(AttributeKey.stringKey("app.customer_ref")))
          .isEqualTo(Redactor.REDACTED);
      assertThat(withExtra.redact(attributes).get(AttributeKey.stringKey("db.statement")))
          .isEqualTo("SELECT ? FROM t WHERE a = ?");
    }
  }

  @Test
  void aKeyThatHoldsASecretIsRenamedEveryTime() {
    String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    Attributes attributes = Attributes.of(AttributeKey.stringKey("app." + jwt), "v");
    for (int i = 0; i < 3; i++) {
      Attributes redacted = redactor.redact(attributes);
      assertThat(redacted.asMap().keySet()).extracting(AttributeKey::getKey)
          .containsExactly("app." + Redactor.REDACTED);
    }
  }

  @Test
  void aValueSeenCleanUnderOneKeyIsStillJudgedByTheKeyItAppearsUnderLater() {
    String sql = "SELECT name FROM customers WHERE id = 4711";
    String token = "session token=abcdefghijklmnop";
    for (int i = 0; i < 3; i++) {
      assertThat(redactor.redact("app.note", sql)).isEqualTo(sql);
      assertThat(redactor.redact("db.statement", sql))
          .isEqualTo("SELECT name FROM customers WHERE id = ?");
      assertThat(redactor.redact("app.customer_password", sql)).isEqualTo(Redactor.REDACTED);
      assertThat(redactor.redact("app.note", token)).isEqualTo("session token=[REDACTED]");
    }
  }

  @Test
  void manyDistinctValuesDoNotChangeTheVerdictsOfRecurringOnes() {
    String recurring = "SELECT * FROM servo.executions WHERE id = ?";
    for (int i = 0; i < 10_000; i++) {
      String id = "execution-" + java.util.UUID.randomUUID();
      assertThat(redactor.redact("servo.execution.id", id)).isSameAs(id);
      assertThat(redactor.redact("db.statement", recurring)).isSameAs(recurring);
      assertThat(redactor.redact("url.full", "https://u:pw-" + i + "@hooks.example/x"))
          .isEqualTo("https://u:[REDACTED]@hooks.example/x");
    }
  }
}
