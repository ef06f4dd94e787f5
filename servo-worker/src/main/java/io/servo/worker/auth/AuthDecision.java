package io.servo.worker.auth;

import java.time.Duration;
import java.util.Objects;

/** Whether a request to {@code /execute} may be used. Reasons never hold a secret or token content. */
public sealed interface AuthDecision {
  AuthDecision ACCEPTED = new Accepted();

  /** The request comes from Servo's orchestrator through the configured queue identity. */
  record Accepted() implements AuthDecision {}

  /** The request is not authentic; no delivery of the same request can change that. */
  record Rejected(String reason) implements AuthDecision {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * The worker cannot decide now (the issuer's signing keys cannot be fetched); a later delivery
   * may succeed.
   */
  record Unavailable(String reason, Duration retryAfter) implements AuthDecision {
    public Unavailable {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(retryAfter, "retryAfter");
    }
  }
}
