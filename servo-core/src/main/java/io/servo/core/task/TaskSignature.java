package io.servo.core.task;

import io.servo.settings.Settings;
import io.servo.settings.SettingsException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 over a timestamp, Servo's trace headers and the exact body bytes. The timestamp is
 * signed too, and the verifier accepts it only within a window, so a captured request cannot be
 * replayed later. The trace headers ({@value #TRACEPARENT_HEADER}, {@value #TRACESTATE_HEADER})
 * carry the producer span's context; signing them means a request whose trace context was changed,
 * added or removed after signing is not authentic, so the worker trusts only a signed context.
 *
 * <p>Scheme {@code v2}: the MAC input is {@code "v2\n"}, then the timestamp, the traceparent and the
 * tracestate each written as {@code <byte length>:<bytes>} (or {@code -} when the header is absent),
 * then the body. Length prefixes make the form unambiguous: no bytes can move between a header and
 * the body (or between two headers) and leave the signature valid.
 */
public final class TaskSignature {
  public static final String TIMESTAMP_HEADER = "X-Servo-Timestamp";
  public static final String SIGNATURE_HEADER = "X-Servo-Signature";
  /** The producer span's W3C {@code traceparent}, signed; absent when the task carries no trace. */
  public static final String TRACEPARENT_HEADER = "X-Servo-Traceparent";
  /** The producer span's W3C {@code tracestate}, signed; absent when there is no trace state. */
  public static final String TRACESTATE_HEADER = "X-Servo-Tracestate";
  public static final int MIN_SECRET_BYTES = 32;
  /** How to make a good signing key; part of every message about a short one. */
  public static final String SECRET_HINT = "generate one with: openssl rand -base64 48";
  private static final String SECRET_VARIABLE = "SERVO_HMAC_SECRET";
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);
  private static final String SCHEME = "v2=";
  private static final byte[] CANONICAL_PREFIX = "v2\n".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec key;
  private final Clock clock;
  private final Duration window;

  private TaskSignature(byte[] secret, Clock clock, Duration window) {
    this.key = new SecretKeySpec(secret, "HmacSHA256");
    this.clock = clock;
    this.window = window;
  }

  /**
   * @throws SettingsException when the secret is shorter than {@value #MIN_SECRET_BYTES} bytes, in
   *     the words of every other configuration problem (the secret itself is never shown)
   */
  public static TaskSignature create(byte[] secret, Clock clock, Duration window) {
    Objects.requireNonNull(secret, "secret");
    Settings.checkSecretLength("task signing", SECRET_VARIABLE, secret.length, MIN_SECRET_BYTES, SECRET_HINT);
    return new TaskSignature(secret.clone(), clock, window);
  }

  public static TaskSignature create(String secret) {
    return create(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), DEFAULT_WINDOW);
  }

  /** The headers that sign {@code body} now, for a task that carries no trace context. */
  public Map<String, String> sign(byte[] body) {
    return sign(TraceMetadata.EMPTY, body);
  }

  /**
   * The headers to send with {@code body}: the timestamp, the signature, and {@code trace} as
   * {@value #TRACEPARENT_HEADER}/{@value #TRACESTATE_HEADER} (those present), all signed together.
   */
  public Map<String, String> sign(TraceMetadata trace, byte[] body) {
    Objects.requireNonNull(trace, "trace");
    String traceparent = trace.traceparent();
    // An empty trace state is no trace state (W3C); it is not sent, so it is not signed either.
    String tracestate = traceparent == null || trace.tracestate() == null || trace.tracestate().isEmpty()
        ? null : trace.tracestate();
    String timestamp = Long.toString(clock.instant().getEpochSecond());
    Map<String, String> headers = new HashMap<>(8);
    headers.put(TIMESTAMP_HEADER, timestamp);
    headers.put(SIGNATURE_HEADER, SCHEME + hex(mac(timestamp, traceparent, tracestate, body)));
    if (traceparent != null) {
      headers.put(TRACEPARENT_HEADER, traceparent);
    }
    if (tracestate != null) {
      headers.put(TRACESTATE_HEADER, tracestate);
    }
    return Map.copyOf(headers);
  }

  /**
   * Checks a request's headers against {@code body}.
   *
   * @param header a lookup of a request header's first value (null when absent); the same lookup
   *     must give the trace headers to whoever uses them afterwards
   * @return null when valid, else the reason (safe to return to the caller: it holds no secret)
   */
  public String verify(Function<String, String> header, byte[] body) {
    String timestampHeader = header.apply(TIMESTAMP_HEADER);
    String signatureHeader = header.apply(SIGNATURE_HEADER);
    if (timestampHeader == null || signatureHeader == null) {
      return "missing " + TIMESTAMP_HEADER + " or " + SIGNATURE_HEADER + " header";
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestampHeader.trim());
    } catch (NumberFormatException e) {
      return TIMESTAMP_HEADER + " is not a Unix time in seconds";
    }
    if (signatureHeader.startsWith("v1=")) {
      return SIGNATURE_HEADER + " is scheme v1 (body only), which this worker no longer accepts:"
          + " run an orchestrator of the same Servo version as the worker (it signs with v2=<hex>)";
    }
    if (!signatureHeader.startsWith(SCHEME)) {
      return SIGNATURE_HEADER + " must have the form v2=<hex>";
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(signatureHeader.substring(SCHEME.length()).trim());
    } catch (IllegalArgumentException e) {
      return SIGNATURE_HEADER + " must have the form v2=<hex>";
    }
    byte[] expected = mac(timestampHeader.trim(), header.apply(TRACEPARENT_HEADER),
        header.apply(TRACESTATE_HEADER), body);
    // Compare the signature before the clock, so a forged request learns nothing about the window.
    if (!MessageDigest.isEqual(given, expected)) {
      return "signature does not match the body and trace headers";
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

  /** Checks a task without trace headers; see {@link #verify(Function, byte[])}. */
  public String verify(String timestampHeader, String signatureHeader, byte[] body) {
    Map<String, String> headers = new HashMap<>(4);
    headers.put(TIMESTAMP_HEADER, timestampHeader);
    headers.put(SIGNATURE_HEADER, signatureHeader);
    return verify(headers::get, body);
  }

  private byte[] mac(String timestamp, String traceparent, String tracestate, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(CANONICAL_PREFIX);
      field(mac, timestamp);
      field(mac, traceparent);
      field(mac, tracestate);
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** {@code <byte length>:<bytes>}, or {@code -} for an absent header (never a digit: unambiguous). */
  private static void field(Mac mac, String value) {
    if (value == null) {
      mac.update((byte) '-');
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    mac.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
    mac.update((byte) ':');
    mac.update(bytes);
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
