package io.servo.cli.client;

/** A failure the CLI prints as one line and turns into a non-zero exit code. */
public final class CliException extends RuntimeException {
  public CliException(String message) {
    super(message);
  }
}
