package io.servo.cli;

import io.servo.cli.server.Services;
import io.servo.telemetry.config.TraceExporter;
import io.servo.telemetry.config.TracingConfig;
import java.util.Map;

/**
 * Tracing of the one-process commands: on at rate 1.0 so every execution's trace can be shown in
 * the terminal, exporting only to memory unless {@code SERVO_TRACE_EXPORTER} names an exporter.
 * {@code dev} honours an explicit {@code SERVO_TRACE_ENABLED=false}.
 */
final class LocalTracing {
  private LocalTracing() {}

  static TracingConfig config(Map<String, String> env, boolean honourDisabled) {
    TracingConfig fromEnv = Services.configured(() -> TracingConfig.from(env));
    if (honourDisabled && "false".equalsIgnoreCase(env.getOrDefault("SERVO_TRACE_ENABLED", "").trim())) {
      return fromEnv;
    }
    TracingConfig on = fromEnv.withEnabled(true).withSampleRate(1.0);
    return fromEnv.exporterExplicit() ? on : on.withExporter(TraceExporter.NONE);
  }
}
