package io.servo.orchestrator.api;

/**
 * How the caller of one API request authenticated, decided before the request is served. Tracing
 * uses it to decide how far to trust the caller's trace context.
 */
public enum CallerAuthentication {
  /** The request carried a configured tenant token. */
  AUTHENTICATED,
  /** No tokens are configured (development): everybody is tenant {@code default}, nobody is known. */
  ANONYMOUS,
  /** Tokens are configured and the request carried none or an unknown one. */
  REJECTED
}
