package io.servo.bench.e2e;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One way of tracing the same Servo services, each run in its own JVM: Servo's own tracing at
 * four settings, and the OpenTelemetry Java agent (with Servo's tracing off) at two. {@link
 * #DISABLED_CONTROL} is (a) again in a JVM of its own: its ratio to (a) is what two identical JVMs
 * differ by (JIT decisions, heap layout, their databases), the benchmark's own floor. {@link
 * #SERVO_1PCT_SECOND} is (b) again, for asking the same of (b); it runs only when named, as the
 * seven others would already hold about 91 of PostgreSQL's default 100 connections.
 *
 * <p>Retroactive keep ({@code SERVO_TRACE_KEEP}) exports the whole trace of an execution that ended
 * failed or timed out even when head sampling dropped it. (b) turns it off, so it stays pure head
 * sampling; {@link #SERVO_1PCT_KEEP} is (b) with it on for errors; (c) keeps the services' default.
 */
public enum Configuration {
  DISABLED("a", "tracing disabled", false, false, 0.0, null),
  DISABLED_CONTROL("a2", "tracing disabled, second JVM (control)", false, false, 0.0, null),
  SERVO_1PCT("b", "Servo tracing, rate 0.01", true, false, 0.01, "none"),
  SERVO_1PCT_KEEP("bk", "Servo tracing, rate 0.01, keep errors", true, false, 0.01, "errors"),
  SERVO_100PCT("c", "Servo tracing, rate 1.0", true, false, 1.0, null),
  AGENT_100PCT("d", "Java agent 2.31.1, rate 1.0", false, true, 1.0, null),
  AGENT_1PCT("e", "Java agent 2.31.1, rate 0.01", false, true, 0.01, null),
  /** (b) again in a JVM of its own, measured only when named: the control of (b) as (a2) is of (a). */
  SERVO_1PCT_SECOND("b2", "Servo tracing, rate 0.01, second JVM", true, false, 0.01, "none");

  private final String label;
  private final String description;
  private final boolean servoTracing;
  private final boolean agent;
  private final double sampleRate;
  private final String keep;

  /** @param keep {@code SERVO_TRACE_KEEP}, or null to leave the services' default */
  Configuration(String label, String description, boolean servoTracing, boolean agent, double sampleRate,
      String keep) {
    this.label = label;
    this.description = description;
    this.servoTracing = servoTracing;
    this.agent = agent;
    this.sampleRate = sampleRate;
    this.keep = keep;
  }

  public String label() {
    return label;
  }

  /** What {@code ./servo bench} measures when no configuration is named: all but (b2). */
  public static Set<Configuration> defaults() {
    Set<Configuration> all = EnumSet.allOf(Configuration.class);
    all.remove(SERVO_1PCT_SECOND);
    return all;
  }

  /** The configuration labelled {@code label} ({@code a}, {@code a2}, {@code b} …). */
  public static Optional<Configuration> byLabel(String label) {
    for (Configuration c : values()) {
      if (c.label.equals(label)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /**
   * The configurations named by {@code labels}, separated by commas ({@code a2,b}); empty when a
   * label is unknown or none is given.
   */
  public static Optional<Set<Configuration>> byLabels(String labels) {
    Set<Configuration> chosen = EnumSet.noneOf(Configuration.class);
    for (String label : labels.split(",", -1)) {
      Optional<Configuration> c = byLabel(label.trim());
      if (c.isEmpty()) {
        return Optional.empty();
      }
      chosen.add(c.get());
    }
    return Optional.of(chosen);
  }

  public String description() {
    return description;
  }

  public boolean agent() {
    return agent;
  }

  /**
   * The tracing variables of the child: Servo's {@code SERVO_TRACE_*} or the agent's {@code OTEL_*},
   * both exporting OTLP/HTTP to {@code otlpEndpoint} (a full {@code …/v1/traces} URL). {@code
   * SERVO_TRACE_KEEP} only where the configuration sets it; services that predate retroactive keep
   * ignore it, and then (bk) measures the same as (b).
   */
  public Map<String, String> environment(String otlpEndpoint) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SERVO_TRACE_ENABLED", Boolean.toString(servoTracing));
    env.put("SERVO_TRACE_EXPORTER", "otlp");
    env.put("SERVO_TRACE_ENDPOINT", otlpEndpoint);
    env.put("SERVO_TRACE_SAMPLE_RATE", Double.toString(servoTracing ? sampleRate : 1.0));
    if (keep != null) {
      env.put("SERVO_TRACE_KEEP", keep);
      if (!keep.equals("none")) {
        // Every failure kept, not the default 60 a minute: the cost measured is the worst case's.
        env.put("SERVO_TRACE_KEEP_PER_MINUTE", "1000000");
      }
    }
    if (agent) {
      env.put("OTEL_SERVICE_NAME", "servo-dev");
      env.put("OTEL_TRACES_EXPORTER", "otlp");
      env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
      env.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlpEndpoint);
      env.put("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
      env.put("OTEL_TRACES_SAMPLER_ARG", Double.toString(sampleRate));
      env.put("OTEL_METRICS_EXPORTER", "none");
      env.put("OTEL_LOGS_EXPORTER", "none");
    }
    return env;
  }

  @Override
  public String toString() {
    return "(" + label + ") " + description;
  }
}
