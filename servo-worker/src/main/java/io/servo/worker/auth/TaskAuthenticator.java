package io.servo.worker.auth;

import io.servo.core.task.TaskSignature;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Decides whether a request to {@code /execute} comes from Servo's orchestrator: the HMAC
 * signature over the exact body bytes and a recent timestamp. Runs before anything in the body is
 * parsed or used.
 */
public final class TaskAuthenticator {
  private final TaskSignature signature;

  private TaskAuthenticator(TaskSignature signature) {
    this.signature = signature;
  }

  public static TaskAuthenticator create(TaskSignature signature) {
    return new TaskAuthenticator(Objects.requireNonNull(signature, "signature"));
  }

  /**
   * @param header a lookup of a request header's first value (case-insensitive)
   * @return empty when the request is authentic, else why not (safe to return to the caller)
   */
  public Optional<String> reject(Function<String, String> header, byte[] body) {
    return Optional.ofNullable(signature.verify(
        header.apply(TaskSignature.TIMESTAMP_HEADER), header.apply(TaskSignature.SIGNATURE_HEADER),
        body));
  }
}
