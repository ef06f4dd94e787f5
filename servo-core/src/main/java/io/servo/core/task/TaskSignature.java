package io.servo.core.task;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 over a timestamp and the exact body bytes. The timestamp is signed too, and the
 * verifier accepts it only within a window, so a captured request cannot be replayed later.
 */
public final class TaskSignature {
  public static final String TIMESTAMP_HEADER = "X-Servo-Timestamp";
  public static final String SIGNATURE_HEADER = "X-Servo-Signature";
  public static final int MIN_SECRET_BYTES = 32;
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);
  private static final String SCHEME = "v1=";

  private final SecretKeySpec key;
  private final Clock clock;
  private final Duration window;

  private TaskSignature(byte[] secret, Clock clock, Duration window) {
    this.key = new SecretKeySpec(secret, "HmacSHA256");
    this.clock = clock;
    this.window = window;
  }

  /**
   * @throws IllegalArgumentException when the secret is shorter than {@value #MIN_SECRET_BYTES} bytes
   */
  public static TaskSignature create(byte[] secret, Clock clock, Duration window) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "SERVO_HMAC_SECRET must be at least " + MIN_SECRET_BYTES + " bytes (it has "
              + secret.length + "); generate one with: openssl rand -base64 48");
    }
    return new TaskSignature(secret.clone(), clock, window);
  }

  public static TaskSignature create(String secret) {
    return create(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), DEFAULT_WINDOW);
  }

  /** The two headers that sign {@code body} now. */
  public Map<String, String> sign(byte[] body) {
    String timestamp = Long.toString(clock.instant().getEpochSecond());
    return Map.of(TIMESTAMP_HEADER, timestamp, SIGNATURE_HEADER, SCHEME + hex(mac(timestamp, body)));
  }

  /**
   * Checks the headers against {@code body}.
   *
   * @return null when valid, else the reason (safe to return to the caller: it holds no secret)
   */
  public String verify(String timestampHeader, String signatureHeader, byte[] body) {
    if (timestampHeader == null || signatureHeader == null) {
      return "missing " + TIMESTAMP_HEADER + " or " + SIGNATURE_HEADER + " header";
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestampHeader.trim());
    } catch (NumberFormatException e) {
      return TIMESTAMP_HEADER + " is not a Unix time in seconds";
    }
    if (!signatureHeader.startsWith(SCHEME)) {
      return SIGNATURE_HEADER + " must have the form v1=<hex>";
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(signatureHeader.substring(SCHEME.length()).trim());
    } catch (IllegalArgumentException e) {
      return SIGNATURE_HEADER + " must have the form v1=<hex>";
    }
    // Compare the signature before the clock, so a forged request learns nothing about the window.
    if (!MessageDigest.isEqual(given, mac(timestampHeader.trim(), body))) {
      return "signature does not match the body";
    }
    String outsideWindow = "signature timestamp is outside the " + window.toMinutes() + "-minute window";
    Instant signedAt;
    try {
      signedAt = Instant.ofEpochSecond(seconds);
    } catch (DateTimeException e) {
      return outsideWindow; // any long parses, but not every one is an Instant: surely not a recent one
    }
    Duration age = Duration.between(signedAt, clock.instant()).abs();
    if (age.compareTo(window) > 0) {
      return outsideWindow;
    }
    return null;
  }

  private byte[] mac(String timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) '.');
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
