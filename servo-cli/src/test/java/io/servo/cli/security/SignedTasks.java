package io.servo.cli.security;

import io.servo.cli.security.RawHttp.Header;
import io.servo.core.json.Json;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.storage.ServoStorage;
import io.servo.storage.StoredWorkflow;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Task bodies and signatures as the orchestrator makes them, for deliveries a test sends itself. */
final class SignedTasks {
  private SignedTasks() {}

  /** The payload of {@code executionId} running the latest {@code workflow} of {@code tenant}. */
  static byte[] payload(ServoStorage storage, String tenant, String workflow, String executionId,
      TraceMetadata trace) {
    StoredWorkflow stored = storage.workflows().latest(tenant, workflow).orElseThrow();
    try {
      return TaskPayloadCodec.encode(new TaskPayload(TaskPayload.CURRENT_VERSION, executionId, tenant, workflow,
          stored.version(), Json.mapper().readTree(stored.definitionJson()), Instant.now(), trace));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** {@code X-Servo-Timestamp} and {@code X-Servo-Signature} signing {@code body} now with Servo's key. */
  static List<Header> signature(byte[] body) {
    return headers(TaskSignature.create(SecurityStack.HMAC_SECRET).sign(body));
  }

  /**
   * A valid signature over {@code body} (without trace headers) with {@code timestamp} as the signed
   * text, whatever it holds: scheme v2 written out by hand, so a bad timestamp reaches the verifier.
   */
  static List<Header> signatureAt(byte[] body, String timestamp) {
    return List.of(new Header(TaskSignature.TIMESTAMP_HEADER, timestamp),
        new Header(TaskSignature.SIGNATURE_HEADER, "v2=" + hmac(timestamp.trim(), body)));
  }

  private static String hmac(String timestamp, byte[] body) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(SecurityStack.HMAC_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      // "v2\n", the length-prefixed timestamp, then "-" twice: no X-Servo-Traceparent, no X-Servo-Tracestate.
      byte[] timestampBytes = timestamp.getBytes(StandardCharsets.UTF_8);
      mac.update(("v2\n" + timestampBytes.length + ":").getBytes(StandardCharsets.US_ASCII));
      mac.update(timestampBytes);
      mac.update("--".getBytes(StandardCharsets.US_ASCII));
      return java.util.HexFormat.of().formatHex(mac.doFinal(body));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Header> headers(Map<String, String> signed) {
    return List.of(new Header(TaskSignature.TIMESTAMP_HEADER, signed.get(TaskSignature.TIMESTAMP_HEADER)),
        new Header(TaskSignature.SIGNATURE_HEADER, signed.get(TaskSignature.SIGNATURE_HEADER)));
  }
}
