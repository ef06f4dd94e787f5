package io.servo.telemetry;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.telemetry.config.TracingConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;

/** Builds the exporter chosen by SERVO_TRACE_EXPORTER. */
final class SpanExporters {

  private SpanExporters() {}

  static Optional<SpanExporter> create(
      TracingConfig config, CloudTraceAuth cloudTraceAuth, PrintStream stdout) {
    switch (config.exporter()) {
      case CLOUDTRACE:
        return Optional.of(deferred(config, otlp(config).setHeaders(cloudTraceAuth)));
      case JAEGER:
      case OTLP: {
        OtlpHttpSpanExporterBuilder builder = otlp(config);
        config.otlpHeaders().forEach(builder::addHeader);
        return Optional.of(deferred(config, builder));
      }
      case STDOUT:
        return Optional.of(new StdoutSpanExporter(stdout, config.stdoutFormat()));
      case NONE:
      default:
        return Optional.empty();
    }
  }

  /** The builder is configured (and its endpoint and headers checked) here; it builds in the background. */
  private static SpanExporter deferred(TracingConfig config, OtlpHttpSpanExporterBuilder builder) {
    return DeferredSpanExporter.start(config.exporter().id(), builder::build, config.exportTimeout());
  }

  private static OtlpHttpSpanExporterBuilder otlp(TracingConfig config) {
    Duration timeout = config.exportTimeout();
    return OtlpHttpSpanExporter.builder()
        .setEndpoint(config.tracesEndpoint().orElseThrow().toString())
        .setTimeout(timeout)
        .setConnectTimeout(timeout.compareTo(Duration.ofSeconds(5)) < 0 ? timeout : Duration.ofSeconds(5));
  }
}
