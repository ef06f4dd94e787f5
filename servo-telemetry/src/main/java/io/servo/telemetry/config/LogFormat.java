package io.servo.telemetry.config;

/** How log lines are written. Set by {@code SERVO_LOG_FORMAT}. */
public enum LogFormat {
  /** {@code time level [thread] logger trace_id=… span_id=… - message}, for humans. */
  TEXT("text"),
  /** One JSON object per line with Cloud Logging's structured fields. */
  JSON("json");

  private final String id;

  LogFormat(String id) {
    this.id = id;
  }

  /** The value as written in {@code SERVO_LOG_FORMAT}. */
  public String id() {
    return id;
  }
}
