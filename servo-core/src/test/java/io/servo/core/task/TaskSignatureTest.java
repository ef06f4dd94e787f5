package io.servo.core.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.SettingsException;
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
        .isEqualTo("signature does not match the body and trace headers");
    String later = Long.toString(NOW.getEpochSecond() + 60);
    assertThat(at(NOW).verify(later, h.get(TaskSignature.SIGNATURE_HEADER), body))
        .isEqualTo("signature does not match the body and trace headers");
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
        .isEqualTo("signature does not match the body and trace headers");
    assertThat(at(NOW).verify(null, "v1=00", body)).startsWith("missing");
    assertThat(at(NOW).verify("soon", "v1=00", body)).isEqualTo("X-Servo-Timestamp is not a Unix time in seconds");
    assertThat(at(NOW).verify("1", "sha256=zz", body)).isEqualTo("X-Servo-Signature must have the form v2=<hex>");
    assertThat(at(NOW).verify("1", "v2=zz", body)).isEqualTo("X-Servo-Signature must have the form v2=<hex>");
    assertThat(at(NOW).verify("1", "v1=00", body)).startsWith("X-Servo-Signature is scheme v1 (body only)");
  }

  @Test
  void theTraceHeadersAreSignedWithTheBody() {
    Map<String, String> h = at(NOW).sign(TRACE, body);

    assertThat(h).containsEntry(TaskSignature.TRACEPARENT_HEADER, TRACE.traceparent())
        .containsEntry(TaskSignature.TRACESTATE_HEADER, TRACE.tracestate());
    assertThat(at(NOW).verify(h::get, body)).isNull();
  }

  @Test
  void aTraceHeaderChangedAddedOrRemovedAfterSigningIsRejected() {
    Map<String, String> signed = at(NOW).sign(TRACE, body);
    Map<String, String> untraced = at(NOW).sign(body);
    String forged = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";

    assertThat(at(NOW).verify(with(signed, TaskSignature.TRACEPARENT_HEADER, forged)::get, body))
        .isEqualTo("signature does not match the body and trace headers");
    assertThat(at(NOW).verify(with(signed, TaskSignature.TRACESTATE_HEADER, "servo=attacker")::get, body))
        .isEqualTo("signature does not match the body and trace headers");
    assertThat(at(NOW).verify(with(signed, TaskSignature.TRACESTATE_HEADER, null)::get, body))
        .isEqualTo("signature does not match the body and trace headers");
    assertThat(at(NOW).verify(with(signed, TaskSignature.TRACEPARENT_HEADER, null)::get, body))
        .isEqualTo("signature does not match the body and trace headers");
    assertThat(at(NOW).verify(with(untraced, TaskSignature.TRACEPARENT_HEADER, forged)::get, body))
        .isEqualTo("signature does not match the body and trace headers");
    assertThat(at(NOW).verify(with(untraced, TaskSignature.TRACESTATE_HEADER, "")::get, body))
        .isEqualTo("signature does not match the body and trace headers");
  }

  @Test
  void bytesMovedBetweenAHeaderAndTheBodyDoNotKeepTheSignatureValid() {
    // The tracestate's last bytes moved to the front of the body: the concatenation is the same.
    byte[] moved = ("=1" + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    TraceMetadata shorter = new TraceMetadata(TRACE.traceparent(), "servo");
    TraceMetadata longer = new TraceMetadata(TRACE.traceparent(), "servo=1");
    Map<String, String> signed = at(NOW).sign(shorter, moved);

    assertThat(at(NOW).verify(with(signed, TaskSignature.TRACESTATE_HEADER, longer.tracestate())::get, body))
        .isEqualTo("signature does not match the body and trace headers");
  }

  private static final TraceMetadata TRACE =
      new TraceMetadata("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "servo=1");

  private static Map<String, String> with(Map<String, String> headers, String name, String value) {
    Map<String, String> copy = new java.util.HashMap<>(headers);
    if (value == null) {
      copy.remove(name);
    } else {
      copy.put(name, value);
    }
    return copy;
  }

  @Test
  void refusesAShortSecretWithoutEchoingIt() {
    assertThatThrownBy(() -> TaskSignature.create("short-secret"))
        .isInstanceOf(SettingsException.class)
        .hasMessage("task signing cannot start: SERVO_HMAC_SECRET has an invalid value (not shown: it is a secret):"
            + " expected at least 32 bytes (it has 12); generate one with: openssl rand -base64 48")
        .hasMessageNotContaining("short-secret");
  }
}
