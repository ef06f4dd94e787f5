package io.servo.core.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskSignatureTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  private final byte[] body = "{\"version\":1}".getBytes(StandardCharsets.UTF_8);

  private static TaskSignature at(Instant when) {
    return TaskSignature.create(SECRET, Clock.fixed(when, ZoneOffset.UTC), Duration.ofMinutes(5));
  }

  @Test
  void acceptsItsOwnSignature() {
    Map<String, String> h = at(NOW).sign(body);
    assertThat(at(NOW.plusSeconds(299)).verify(h.get(TaskSignature.TIMESTAMP_HEADER), h.get(TaskSignature.SIGNATURE_HEADER), body)).isNull();
  }

  @Test
  void rejectsATamperedBodyOrTimestamp() {
    Map<String, String> h = at(NOW).sign(body);
    byte[] tampered = body.clone();
    tampered[2] ^= 1;
    assertThat(at(NOW).verify(h.get(TaskSignature.TIMESTAMP_HEADER), h.get(TaskSignature.SIGNATURE_HEADER), tampered))
        .isEqualTo("signature does not match the body");
    String later = Long.toString(NOW.getEpochSecond() + 60);
    assertThat(at(NOW).verify(later, h.get(TaskSignature.SIGNATURE_HEADER), body))
        .isEqualTo("signature does not match the body");
  }

  @Test
  void rejectsAStaleReplay() {
    Map<String, String> h = at(NOW).sign(body);
    assertThat(at(NOW.plusSeconds(301)).verify(h.get(TaskSignature.TIMESTAMP_HEADER), h.get(TaskSignature.SIGNATURE_HEADER), body))
        .isEqualTo("signature timestamp is outside the 5-minute window");
  }

  @Test
  void rejectsAnotherKeyAndMalformedHeaders() {
    Map<String, String> h = TaskSignature.create(
        "another-secret-another-secret-another".getBytes(), Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(5)).sign(body);
    assertThat(at(NOW).verify(h.get(TaskSignature.TIMESTAMP_HEADER), h.get(TaskSignature.SIGNATURE_HEADER), body))
        .isEqualTo("signature does not match the body");
    assertThat(at(NOW).verify(null, "v1=00", body)).startsWith("missing");
    assertThat(at(NOW).verify("soon", "v1=00", body)).isEqualTo("X-Servo-Timestamp is not a Unix time in seconds");
    assertThat(at(NOW).verify("1", "sha256=zz", body)).isEqualTo("X-Servo-Signature must have the form v1=<hex>");
    assertThat(at(NOW).verify("1", "v1=zz", body)).isEqualTo("X-Servo-Signature must have the form v1=<hex>");
  }

  @Test
  void refusesAShortSecretWithoutEchoingIt() {
    assertThatThrownBy(() -> TaskSignature.create("short-secret"))
        .hasMessage("SERVO_HMAC_SECRET must be at least 32 bytes (it has 12); generate one with: openssl rand -base64 48")
        .hasMessageNotContaining("short-secret");
  }
}
