package io.servo.telemetry.propagation;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Carries propagation fields in environment variables, for subprocesses: {@code TRACEPARENT},
 * {@code TRACESTATE} and {@code BAGGAGE}, as OpenTelemetry's "Environment Variables as Context
 * Propagation Carriers" names them.
 *
 * <p>A field name becomes a variable name by upper-casing it and replacing every character other
 * than {@code A-Z}, {@code 0-9} and {@code _} with {@code _}. Values are passed through as opaque
 * strings; the propagator validates them. The parent copies its environment, injects, and starts
 * the child with the copy:
 *
 * <pre>{@code
 * Map<String, String> env = processBuilder.environment();
 * EnvironmentCarrier.inject(otel.getPropagators().getTextMapPropagator(), Context.current(), env);
 * }</pre>
 *
 * <p>The child extracts at start-up with {@code EnvironmentCarrier.extract(propagator,
 * Context.root(), System.getenv())}.
 */
public final class EnvironmentCarrier {

  /** The variable that carries W3C {@code traceparent}. */
  public static final String TRACEPARENT = "TRACEPARENT";

  /** The variable that carries W3C {@code tracestate}. */
  public static final String TRACESTATE = "TRACESTATE";

  private static final TextMapSetter<Map<String, String>> SETTER = (env, key, value) -> {
    if (env != null) {
      env.put(variableName(key), value);
    }
  };

  private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> env) {
      return env == null ? List.of() : env.keySet();
    }

    @Override
    public String get(Map<String, String> env, String key) {
      return env == null || key == null ? null : env.get(variableName(key));
    }
  };

  private EnvironmentCarrier() {}

  /** The environment variable name for a propagation field, for example {@code TRACEPARENT}. */
  public static String variableName(String field) {
    Objects.requireNonNull(field, "field");
    StringBuilder name = new StringBuilder(field.length());
    for (char c : field.toUpperCase(Locale.ROOT).toCharArray()) {
      boolean allowed = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      name.append(allowed ? c : '_');
    }
    return name.toString();
  }

  /** Writes fields into an environment map under their variable names. */
  public static TextMapSetter<Map<String, String>> setter() {
    return SETTER;
  }

  /** Reads fields from an environment map under their variable names. */
  public static TextMapGetter<Map<String, String>> getter() {
    return GETTER;
  }

  /**
   * Writes the fields of {@code context} into {@code env}. The propagator's variables are removed
   * first, so a value inherited from this process's own environment never reaches the child when
   * {@code context} has nothing to propagate.
   */
  public static void inject(TextMapPropagator propagator, Context context, Map<String, String> env) {
    Objects.requireNonNull(propagator, "propagator");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(env, "env");
    for (String field : propagator.fields()) {
      env.remove(variableName(field));
    }
    propagator.inject(context, env, SETTER);
  }

  /** {@code context} plus what {@code propagator} reads from {@code env}. */
  public static Context extract(TextMapPropagator propagator, Context context,
      Map<String, String> env) {
    Objects.requireNonNull(propagator, "propagator");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(env, "env");
    return propagator.extract(context, env, GETTER);
  }
}
