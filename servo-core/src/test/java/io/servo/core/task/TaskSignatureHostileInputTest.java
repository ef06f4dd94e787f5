package io.servo.core.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A timestamp no clock can hold, signed with the right key (a leaked key, a buggy signer): the
 * verifier says it is outside the window instead of throwing (the worker answered 500).
 */
class TaskSignatureHostileInputTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  private final byte[] body = "{\"version\":1}".getBytes(StandardCharsets.UTF_8);

  @ParameterizedTest
  @ValueSource(strings = {"9223372036854775807", "-9223372036854775808", "31556889864403200",
      "-31557014167219201", "31556889864403199", "-31557014167219200", "+9223372036854775807"})
  void aTimestampBeyondTheClockIsOutsideTheWindow(String timestamp) throws Exception {
    TaskSignature signature = TaskSignature.create(SECRET, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMinutes(5));

    String reason = signature.verify(timestamp, "v2=" + mac(timestamp, body), body);

    assertThat(reason).isEqualTo("signature timestamp is outside the 5-minute window");
  }

  private static String mac(String timestamp, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
    // Scheme v2 without trace headers: "v2\n", the length-prefixed timestamp, two absent fields.
    mac.update(("v2\n" + timestamp.length() + ":" + timestamp + "--").getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }
}
