package io.servo.telemetry.config;

/**
 * A tracing or logging environment variable holds a value Servo cannot use. The message names the
 * variable, the offending value (never for variables that carry secrets) and the accepted values,
 * so the service can stop at start-up with an actionable error.
 */
public final class TracingConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String variable;

  /**
   * Creates an exception about {@code variable}.
   *
   * @param variable the environment variable at fault
   * @param message the full, user-facing message
   */
  public TracingConfigException(String variable, String message) {
    super(message);
    this.variable = variable;
  }

  /** Creates an exception about {@code variable} with an underlying cause. */
  public TracingConfigException(String variable, String message, Throwable cause) {
    super(message, cause);
    this.variable = variable;
  }

  /** The environment variable whose value was rejected. */
  public String variable() {
    return variable;
  }
}
