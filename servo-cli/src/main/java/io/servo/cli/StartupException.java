package io.servo.cli;

/** A service that cannot start as configured; the message names what to change. */
public final class StartupException extends RuntimeException {
  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
