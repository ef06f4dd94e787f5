package io.servo.telemetry.propagation;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Carries propagation fields in maps of header-like fields: a {@code Map<String, String>} such as a
 * payload's {@code trace} object ({@code traceparent}, {@code tracestate}), or HTTP headers as a
 * {@code Map<String, List<String>>} (the JDK's {@code HttpServer} {@code Headers} and {@code
 * HttpHeaders.map()}).
 *
 * <p>Reading ignores the case of names, as HTTP does. Writing uses the propagator's names as they
 * are (lowercase for W3C Trace Context and Baggage).
 */
public final class MapCarrier {

  private static final TextMapSetter<Map<String, String>> SETTER = (map, key, value) -> {
    if (map != null) {
      map.put(key, value);
    }
  };

  private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> map) {
      return map == null ? List.of() : map.keySet();
    }

    @Override
    public String get(Map<String, String> map, String key) {
      if (map == null || key == null) {
        return null;
      }
      String exact = map.get(key);
      if (exact != null) {
        return exact;
      }
      for (Map.Entry<String, String> entry : map.entrySet()) {
        if (key.equalsIgnoreCase(entry.getKey())) {
          return entry.getValue();
        }
      }
      return null;
    }
  };

  private static final TextMapGetter<Map<String, List<String>>> HEADERS_GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, List<String>> headers) {
          return headers == null ? List.of() : headers.keySet();
        }

        @Override
        public String get(Map<String, List<String>> headers, String key) {
          Iterator<String> all = getAll(headers, key);
          return all.hasNext() ? all.next() : null;
        }

        /** Every instance, in order, also under names that differ only in case. */
        @Override
        public Iterator<String> getAll(Map<String, List<String>> headers, String key) {
          if (headers == null || key == null) {
            return Collections.emptyIterator();
          }
          // Most requests carry no trace header: no list until one is found.
          List<String> values = null;
          for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (key.equalsIgnoreCase(entry.getKey()) && entry.getValue() != null) {
              for (String value : entry.getValue()) {
                if (value != null) {
                  if (values == null) {
                    values = new ArrayList<>(2);
                  }
                  values.add(value);
                }
              }
            }
          }
          return values == null ? Collections.emptyIterator() : values.iterator();
        }
      };

  private MapCarrier() {}

  /** Writes fields into a {@code Map<String, String>}. */
  public static TextMapSetter<Map<String, String>> setter() {
    return SETTER;
  }

  /** Reads fields from a {@code Map<String, String>}, ignoring the case of names. */
  public static TextMapGetter<Map<String, String>> getter() {
    return GETTER;
  }

  /**
   * Reads fields from multi-valued HTTP headers, ignoring the case of names. {@link
   * TextMapGetter#getAll} returns every instance of a header, so a propagator can join repeated
   * {@code tracestate} headers and reject conflicting {@code traceparent} headers.
   */
  public static TextMapGetter<Map<String, List<String>>> headersGetter() {
    return HEADERS_GETTER;
  }

  /** Writes the fields of {@code context} with {@code propagator} into {@code fields}. */
  public static void inject(TextMapPropagator propagator, Context context,
      Map<String, String> fields) {
    Objects.requireNonNull(propagator, "propagator");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(fields, "fields");
    propagator.inject(context, fields, SETTER);
  }

  /** {@code context} plus what {@code propagator} reads from {@code fields}. */
  public static Context extract(TextMapPropagator propagator, Context context,
      Map<String, String> fields) {
    Objects.requireNonNull(propagator, "propagator");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(fields, "fields");
    return propagator.extract(context, fields, GETTER);
  }

  /** {@code context} plus what {@code propagator} reads from multi-valued HTTP headers. */
  public static Context extractHeaders(TextMapPropagator propagator, Context context,
      Map<String, List<String>> headers) {
    Objects.requireNonNull(propagator, "propagator");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(headers, "headers");
    return propagator.extract(context, headers, HEADERS_GETTER);
  }
}
