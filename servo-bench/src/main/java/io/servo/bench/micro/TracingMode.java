package io.servo.bench.micro;

import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The three states a Servo service's tracing can be in, each started exactly as a service starts
 * it: {@link ServoTelemetry} from {@code SERVO_TRACE_*} variables, exporting to {@code sink} through
 * the usual batch processor and redaction.
 */
public enum TracingMode {
  /** {@code SERVO_TRACE_ENABLED=false}: {@code OpenTelemetry.noop()}, no SDK. */
  DISABLED(false, 0.0),
  /** On at {@code SERVO_TRACE_SAMPLE_RATE=0.0}: real ids and propagation, nothing recorded. */
  UNSAMPLED(true, 0.0),
  /** On at {@code SERVO_TRACE_SAMPLE_RATE=1.0}: every span recorded, redacted and exported. */
  SAMPLED(true, 1.0);

  private final boolean enabled;
  private final double sampleRate;

  TracingMode(boolean enabled, double sampleRate) {
    this.enabled = enabled;
    this.sampleRate = sampleRate;
  }

  /** The configuration a service would read from its environment in this mode. */
  public TracingConfig config() {
    return config(Map.of());
  }

  /** The configuration of this mode, with {@code more} environment variables set. */
  public TracingConfig config(Map<String, String> more) {
    Map<String, String> environment = new HashMap<>(more);
    environment.put("SERVO_ENVIRONMENT", "development");
    environment.put("SERVO_TRACE_ENABLED", Boolean.toString(enabled));
    environment.put("SERVO_TRACE_SAMPLE_RATE", Double.toString(sampleRate));
    // The configured exporter is none; the sink below is the only one, like servo demo's.
    environment.put("SERVO_TRACE_EXPORTER", "none");
    return TracingConfig.from(environment);
  }

  /** The SDK of service {@code serviceName} in this mode, exporting (redacted) to {@code sink}. */
  public ServoTelemetry start(String serviceName, SpanExporter sink) {
    return start(serviceName, sink, Map.of());
  }

  /** Like {@link #start(String, SpanExporter)}, with {@code more} environment variables set. */
  public ServoTelemetry start(String serviceName, SpanExporter sink, Map<String, String> more) {
    return ServoTelemetry.builder(config(more), serviceName).addSpanExporter(sink).start();
  }
}
