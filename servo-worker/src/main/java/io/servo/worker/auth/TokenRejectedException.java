package io.servo.worker.auth;

/** An ID token is not acceptable. The message is safe to return: it quotes nothing from the token. */
final class TokenRejectedException extends Exception {
  TokenRejectedException(String message) {
    super(message, null, false, false);
  }
}
