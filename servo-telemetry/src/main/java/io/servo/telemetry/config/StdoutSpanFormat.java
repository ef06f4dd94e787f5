package io.servo.telemetry.config;

/** How the stdout exporter writes spans. Set by {@code SERVO_TRACE_STDOUT_FORMAT}. */
public enum StdoutSpanFormat {
  /** A short line per span (start, duration, kind, service, name, status, ids), details indented below: for people. */
  TEXT("text"),
  /** One OTLP/JSON {@code ExportTraceServiceRequest} per line per span: for programs, and beside JSON logs. */
  OTLP_JSON("otlp-json");

  private final String id;

  StdoutSpanFormat(String id) {
    this.id = id;
  }

  /** The value as written in {@code SERVO_TRACE_STDOUT_FORMAT}. */
  public String id() {
    return id;
  }
}
