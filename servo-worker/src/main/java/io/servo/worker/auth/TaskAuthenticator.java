package io.servo.worker.auth;

import io.servo.core.task.TaskSignature;
import java.util.Objects;
import java.util.function.Function;

/**
 * Decides whether a request to {@code /execute} comes from Servo's orchestrator through the queue:
 * first the queue's OIDC ID token (when configured), then the HMAC signature over a recent timestamp,
 * Servo's trace headers ({@code X-Servo-Traceparent}/{@code X-Servo-Tracestate}) and the exact body
 * bytes. Runs before anything in the body or those headers is parsed or used.
 */
public final class TaskAuthenticator {
  private final TaskSignature signature;
  private final IdTokenVerifier idTokens;

  private TaskAuthenticator(TaskSignature signature, IdTokenVerifier idTokens) {
    this.signature = signature;
    this.idTokens = idTokens;
  }

  /** HMAC only (OIDC disabled). */
  public static TaskAuthenticator create(TaskSignature signature) {
    return new TaskAuthenticator(Objects.requireNonNull(signature, "signature"), null);
  }

  /** The ID token, then the HMAC signature. */
  public static TaskAuthenticator create(TaskSignature signature, IdTokenVerifier idTokens) {
    return new TaskAuthenticator(Objects.requireNonNull(signature, "signature"),
        Objects.requireNonNull(idTokens, "idTokens"));
  }

  /**
   * @param header a lookup of a request header's first value (case-insensitive)
   * @return whether the request may be used; reasons are safe to return to the caller
   */
  public AuthDecision authenticate(Function<String, String> header, byte[] body) {
    if (idTokens != null) {
      AuthDecision identity = idTokens.verify(header.apply("Authorization"));
      if (!(identity instanceof AuthDecision.Accepted)) {
        return identity;
      }
    }
    String rejection = signature.verify(header, body);
    return rejection == null ? AuthDecision.ACCEPTED : new AuthDecision.Rejected(rejection);
  }
}
