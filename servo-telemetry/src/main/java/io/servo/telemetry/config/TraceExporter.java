package io.servo.telemetry.config;

import java.util.Optional;

/** Where finished spans go. Set by {@code SERVO_TRACE_EXPORTER}. */
public enum TraceExporter {
  /** Google Cloud Trace through its OTLP (Telemetry API) endpoint, with Google credentials. */
  CLOUDTRACE("cloudtrace", "https://telemetry.googleapis.com"),
  /** Jaeger's OTLP/HTTP receiver. */
  JAEGER("jaeger", "http://localhost:4318"),
  /** Any OTLP/HTTP (protobuf) receiver, for example an OpenTelemetry Collector. */
  OTLP("otlp", "http://localhost:4318"),
  /** One human-readable line per span on standard output. */
  STDOUT("stdout", null),
  /** No exporter; spans still get ids for log correlation and propagation. */
  NONE("none", null);

  private final String id;
  private final String defaultEndpoint;

  TraceExporter(String id, String defaultEndpoint) {
    this.id = id;
    this.defaultEndpoint = defaultEndpoint;
  }

  /** The value as written in {@code SERVO_TRACE_EXPORTER}. */
  public String id() {
    return id;
  }

  /** The base endpoint used when none is configured; empty for exporters that do not send over HTTP. */
  public Optional<String> defaultEndpoint() {
    return Optional.ofNullable(defaultEndpoint);
  }

  /** Whether this exporter speaks OTLP over HTTP and therefore uses an endpoint. */
  public boolean usesEndpoint() {
    return defaultEndpoint != null;
  }
}
