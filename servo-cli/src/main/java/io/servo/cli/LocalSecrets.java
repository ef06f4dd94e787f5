package io.servo.cli;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/** The task-signing key of the one-process commands ({@code dev}, {@code demo}). */
final class LocalSecrets {
  private LocalSecrets() {}

  /** {@code SERVO_HMAC_SECRET} when set, else a fresh random key shared by the in-process services. */
  static byte[] hmacSecret(Map<String, String> env) {
    String configured = env.get("SERVO_HMAC_SECRET");
    if (configured != null && !configured.isBlank()) {
      return configured.getBytes(StandardCharsets.UTF_8);
    }
    return randomToken(48).getBytes(StandardCharsets.UTF_8);
  }

  static String randomToken(int bytes) {
    byte[] random = new byte[bytes];
    new SecureRandom().nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }
}
