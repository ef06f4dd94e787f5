package io.servo.telemetry.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CarriersTest {

  private static final TextMapPropagator PROPAGATORS = TextMapPropagator.composite(
      ServoTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance());

  private static final SpanContext SPAN_CONTEXT = SpanContext.create(
      "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
      TraceFlags.fromByte((byte) 0x03),
      TraceState.builder().put("congo", "t61rcWkgMzE").build());

  private static Context context() {
    return Context.root().with(Span.wrap(SPAN_CONTEXT))
        .with(Baggage.builder().put("build.id", "42").build());
  }

  @Test
  void theEnvironmentCarrierUsesUpperCaseVariables() {
    Map<String, String> env = new HashMap<>();
    EnvironmentCarrier.inject(PROPAGATORS, context(), env);

    assertThat(env).containsOnly(
        Map.entry("TRACEPARENT", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"),
        Map.entry("TRACESTATE", "congo=t61rcWkgMzE"),
        Map.entry("BAGGAGE", "build.id=42"));
  }

  @Test
  void theEnvironmentCarrierRoundTrips() {
    Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin"));
    EnvironmentCarrier.inject(PROPAGATORS, context(), env);

    Context extracted = EnvironmentCarrier.extract(PROPAGATORS, Context.root(), env);

    SpanContext spanContext = Span.fromContext(extracted).getSpanContext();
    assertThat(spanContext.getTraceId()).isEqualTo(SPAN_CONTEXT.getTraceId());
    assertThat(spanContext.getSpanId()).isEqualTo(SPAN_CONTEXT.getSpanId());
    assertThat(spanContext.getTraceFlags().asHex()).isEqualTo("03");
    assertThat(spanContext.isRemote()).isTrue();
    assertThat(spanContext.getTraceState().get("congo")).isEqualTo("t61rcWkgMzE");
    assertThat(Baggage.fromContext(extracted).getEntryValue("build.id")).isEqualTo("42");
    assertThat(env).containsEntry("PATH", "/usr/bin");
  }

  @Test
  void theEnvironmentCarrierDoesNotReadLowerCaseVariables() {
    Map<String, String> env = Map.of(
        "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

    assertThat(EnvironmentCarrier.extract(PROPAGATORS, Context.root(), env))
        .isSameAs(Context.root());
  }

  @Test
  void injectingNoContextRemovesAnInheritedTraceparent() {
    Map<String, String> env = new HashMap<>(Map.of(
        "TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "TRACESTATE", "rojo=1",
        "HOME", "/root"));

    EnvironmentCarrier.inject(PROPAGATORS, Context.root(), env);

    assertThat(env).containsOnly(Map.entry("HOME", "/root"));
  }

  @Test
  void variableNamesAreUpperCaseLettersDigitsAndUnderscores() {
    assertThat(EnvironmentCarrier.variableName("traceparent")).isEqualTo("TRACEPARENT");
    assertThat(EnvironmentCarrier.variableName("x-b3-traceid")).isEqualTo("X_B3_TRACEID");
    assertThat(EnvironmentCarrier.variableName("uber-trace-id.v2")).isEqualTo("UBER_TRACE_ID_V2");
  }

  @Test
  void theMapCarrierRoundTripsThePayloadsTraceObject() {
    Map<String, String> trace = new LinkedHashMap<>();
    MapCarrier.inject(ServoTraceContextPropagator.getInstance(), context(), trace);

    assertThat(trace).containsExactly(
        Map.entry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"),
        Map.entry("tracestate", "congo=t61rcWkgMzE"));

    Context extracted = MapCarrier.extract(ServoTraceContextPropagator.getInstance(),
        Context.root(), trace);
    assertThat(Span.fromContext(extracted).getSpanContext().getSpanId())
        .isEqualTo("b7ad6b7169203331");
  }

  @Test
  void theMapCarrierIgnoresTheCaseOfNames() {
    Map<String, String> headers = new TreeMap<>(Map.of(
        "Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "TraceState", "rojo=00f067aa0ba902b7"));

    Context extracted = MapCarrier.extract(PROPAGATORS, Context.root(), headers);

    SpanContext spanContext = Span.fromContext(extracted).getSpanContext();
    assertThat(spanContext.getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(spanContext.getTraceState().get("rojo")).isEqualTo("00f067aa0ba902b7");
    assertThat(MapCarrier.getter().get(headers, "TRACEPARENT")).startsWith("00-0af7");
    assertThat(MapCarrier.getter().get(headers, "baggage")).isNull();
  }

  @Test
  void theHeadersGetterReturnsEveryInstanceUnderAnyCase() {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("tracestate", List.of("a=1", "b=2"));
    headers.put("TraceState", List.of("c=3"));

    assertThat(MapCarrier.headersGetter().getAll(headers, "tracestate"))
        .toIterable().containsExactly("a=1", "b=2", "c=3");
    assertThat(MapCarrier.headersGetter().get(headers, "TRACESTATE")).isEqualTo("a=1");
    assertThat(MapCarrier.headersGetter().get(headers, "traceparent")).isNull();
  }
}
