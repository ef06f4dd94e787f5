package io.servo.cli.client;

/** A failure the CLI prints as one line and turns into a non-zero exit code. */
public final class CliException extends RuntimeException {
  private final boolean usage;

  public CliException(String message) {
    this(message, false);
  }

  private CliException(String message, boolean usage) {
    super(message);
    this.usage = usage;
  }

  /** A command line that cannot be used (exit code 2), as opposed to a request that failed. */
  public static CliException usage(String message) {
    return new CliException(message, true);
  }

  public boolean usage() {
    return usage;
  }
}
