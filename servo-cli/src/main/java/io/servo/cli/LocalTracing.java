package io.servo.cli;

import io.servo.telemetry.config.TraceExporter;
import io.servo.telemetry.config.TracingConfig;
import java.io.PrintStream;

/**
 * Tracing of the one-process commands, which show an execution's trace in the terminal: on, and
 * exporting only to memory unless {@code SERVO_TRACE_EXPORTER} or {@code OTEL_TRACES_EXPORTER}
 * names an exporter. Each method takes the configuration read from the environment ({@link
 * io.servo.cli.server.StartupSettings#tracing}).
 */
final class LocalTracing {
  private LocalTracing() {}

  /**
   * {@code servo dev}: on unless turned off ({@code SERVO_TRACE_ENABLED=false}, {@code
   * OTEL_SDK_DISABLED=true}); every execution sampled unless a sampler or rate is set.
   */
  static TracingConfig dev(TracingConfig fromEnv) {
    if (fromEnv.enabledExplicit() && !fromEnv.enabled()) {
      return fromEnv;
    }
    TracingConfig on = fromEnv.withEnabled(true);
    return inMemoryUnlessExplicit(fromEnv, fromEnv.samplerExplicit() ? on : on.withSampleRate(1.0));
  }

  /**
   * {@code servo demo}: always on at rate 1.0, since it prints the execution's trace; says so on
   * {@code out} when that overrides the environment.
   */
  static TracingConfig demo(TracingConfig fromEnv, PrintStream out) {
    if (fromEnv.enabledExplicit() && !fromEnv.enabled()) {
      out.println("servo demo: tracing is on to show the execution's trace;"
          + " SERVO_TRACE_ENABLED=false / OTEL_SDK_DISABLED=true do not apply to the demo");
    }
    if (fromEnv.samplerExplicit() && !fromEnv.samplerDescription().equals("parentbased_traceidratio 1.0")) {
      out.println("servo demo: every execution is traced (parentbased_traceidratio 1.0);"
          + " the configured sampler (" + fromEnv.samplerDescription() + ") does not apply to the demo");
    }
    return inMemoryUnlessExplicit(fromEnv, fromEnv.withEnabled(true).withSampleRate(1.0));
  }

  /** A one-line summary for the start-up banner: {@code on (parentbased_traceidratio 1.0)}. */
  static String describe(TracingConfig config) {
    return config.enabled() ? "on (" + config.samplerDescription() + ")" : "off";
  }

  private static TracingConfig inMemoryUnlessExplicit(TracingConfig fromEnv, TracingConfig on) {
    return fromEnv.exporterExplicit() ? on : on.withExporter(TraceExporter.NONE);
  }
}
