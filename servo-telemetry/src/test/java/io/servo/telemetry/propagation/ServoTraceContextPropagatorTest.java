package io.servo.telemetry.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules of W3C Trace Context Level 2, with the specification's own examples and the cases of
 * its test suite (w3c/trace-context, test/test.py).
 */
class ServoTraceContextPropagatorTest {

  private static final ServoTraceContextPropagator PROPAGATOR =
      ServoTraceContextPropagator.getInstance();

  private static final String SPEC_TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  private static final String CONGO_TRACEPARENT =
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String SUITE_TRACE_ID = "12345678901234567890123456789012";
  private static final String SUITE_TRACEPARENT =
      "00-12345678901234567890123456789012-1234567890123456-00";

  /** Headers as a server sees them: each name may occur several times. */
  private static Map<String, List<String>> headers(String... nameValues) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.computeIfAbsent(nameValues[i], k -> new ArrayList<>()).add(nameValues[i + 1]);
    }
    return headers;
  }

  private static SpanContext extract(String... nameValues) {
    Context context = MapCarrier.extractHeaders(PROPAGATOR, Context.root(), headers(nameValues));
    return Span.fromContext(context).getSpanContext();
  }

  private static Context extractContext(String... nameValues) {
    return MapCarrier.extractHeaders(PROPAGATOR, Context.root(), headers(nameValues));
  }

  private static Map<String, String> inject(Context context) {
    Map<String, String> out = new LinkedHashMap<>();
    MapCarrier.inject(PROPAGATOR, context, out);
    return out;
  }

  private static String tracestateOf(String... nameValues) {
    return inject(extractContext(nameValues)).get("tracestate");
  }

  // ---- traceparent --------------------------------------------------------------------------

  @Test
  void theSpecificationsSampledExampleIsExtracted() {
    SpanContext context = extract("traceparent", SPEC_TRACEPARENT);

    assertThat(context.isValid()).isTrue();
    assertThat(context.isRemote()).isTrue();
    assertThat(context.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(context.getSpanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(context.isSampled()).isTrue();
    assertThat(context.getTraceState().isEmpty()).isTrue();
  }

  @Test
  void theSpecificationsUnsampledExampleIsExtracted() {
    SpanContext context = extract("traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");

    assertThat(context.isValid()).isTrue();
    assertThat(context.isSampled()).isFalse();
  }

  @Test
  void anUnchangedContextIsInjectedAsReceived() {
    Context context = extractContext("traceparent", CONGO_TRACEPARENT,
        "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");

    assertThat(inject(context)).containsExactly(
        Map.entry("traceparent", CONGO_TRACEPARENT),
        Map.entry("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
    TraceState traceState = Span.fromContext(context).getSpanContext().getTraceState();
    assertThat(traceState.get("congo")).isEqualTo("t61rcWkgMzE");
    assertThat(traceState.get("rojo")).isEqualTo("00f067aa0ba902b7");
  }

  @Test
  void aFutureVersionIsParsedByItsFirstFourFieldsAndInjectedAsVersion00() {
    SpanContext plain = extract("traceparent",
        "cc-12345678901234567890123456789012-1234567890123456-01");
    Context withMore = extractContext("traceparent",
        "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like");

    assertThat(plain.getTraceId()).isEqualTo(SUITE_TRACE_ID);
    assertThat(plain.isSampled()).isTrue();
    assertThat(Span.fromContext(withMore).getSpanContext().getTraceId()).isEqualTo(SUITE_TRACE_ID);
    assertThat(inject(withMore)).containsEntry("traceparent",
        "00-12345678901234567890123456789012-1234567890123456-01");
  }

  @Test
  void aFutureVersionNeedsADashBeforeItsExtraFields() {
    assertThat(extract("traceparent",
        "cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like")
        .isValid()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // version 00 carries nothing after the flags
      "00-12345678901234567890123456789012-1234567890123456-01.",
      "00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
      // version ff is forbidden
      "ff-12345678901234567890123456789012-1234567890123456-01",
      // version: 2 lowercase hex characters
      ".0-12345678901234567890123456789012-1234567890123456-01",
      "0.-12345678901234567890123456789012-1234567890123456-01",
      "000-12345678901234567890123456789012-1234567890123456-01",
      "0000-12345678901234567890123456789012-1234567890123456-01",
      "0-12345678901234567890123456789012-1234567890123456-01",
      "CC-12345678901234567890123456789012-1234567890123456-01",
      // trace id
      "00-00000000000000000000000000000000-1234567890123456-01",
      "00-.2345678901234567890123456789012-1234567890123456-01",
      "00-1234567890123456789012345678901.-1234567890123456-01",
      "00-123456789012345678901234567890123-1234567890123456-01",
      "00-1234567890123456789012345678901-1234567890123456-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      // parent id
      "00-12345678901234567890123456789012-0000000000000000-01",
      "00-12345678901234567890123456789012-.234567890123456-01",
      "00-12345678901234567890123456789012-123456789012345.-01",
      "00-12345678901234567890123456789012-12345678901234567-01",
      "00-12345678901234567890123456789012-123456789012345-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
      // flags
      "00-12345678901234567890123456789012-1234567890123456-.0",
      "00-12345678901234567890123456789012-1234567890123456-0.",
      "00-12345678901234567890123456789012-1234567890123456-001",
      "00-12345678901234567890123456789012-1234567890123456-1",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
      // a future version is no shorter than version 00
      "cc-12345678901234567890123456789012-1234567890123456-1",
      "",
      "00",
  })
  void anInvalidTraceparentExtractsNothingAndItsTracestateIsIgnored(String traceparent) {
    Context context = extractContext("traceparent", traceparent, "tracestate", "foo=1");

    assertThat(context).isSameAs(Context.root());
    assertThat(inject(context)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      " 00-12345678901234567890123456789012-1234567890123456-01",
      "\t00-12345678901234567890123456789012-1234567890123456-01",
      "00-12345678901234567890123456789012-1234567890123456-01 ",
      "00-12345678901234567890123456789012-1234567890123456-01\t",
      "\t 00-12345678901234567890123456789012-1234567890123456-01 \t",
  })
  void whitespaceAroundTheTraceparentIsIgnored(String traceparent) {
    assertThat(extract("traceparent", traceparent).getTraceId()).isEqualTo(SUITE_TRACE_ID);
  }

  @Test
  void headerNamesAreCaseInsensitive() {
    assertThat(extract("TraceParent", SPEC_TRACEPARENT, "TRACESTATE", "foo=1")
        .getTraceState().get("foo")).isEqualTo("1");
  }

  @Test
  void twoDifferentTraceparentsAreInvalid() {
    Context context = extractContext(
        "traceparent", "00-12345678901234567890123456789011-1234567890123456-01",
        "traceparent", "00-12345678901234567890123456789012-1234567890123456-01");

    assertThat(context).isSameAs(Context.root());
  }

  @Test
  void aRepeatedIdenticalTraceparentIsAccepted() {
    assertThat(extract("traceparent", SPEC_TRACEPARENT, "traceparent", SPEC_TRACEPARENT)
        .getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void theRandomFlagSurvivesExtractAndInject() {
    Context context = extractContext("traceparent",
        "00-12345678901234567890123456789012-1234567890123456-02");

    SpanContext remote = Span.fromContext(context).getSpanContext();
    assertThat(remote.getTraceFlags().isTraceIdRandom()).isTrue();
    assertThat(remote.isSampled()).isFalse();
    assertThat(inject(context)).containsEntry("traceparent",
        "00-12345678901234567890123456789012-1234567890123456-02");
    assertThat(inject(extractContext("traceparent",
        "00-12345678901234567890123456789012-1234567890123456-03")))
        .containsEntry("traceparent", "00-12345678901234567890123456789012-1234567890123456-03");
  }

  @Test
  void theRandomFlagSurvivesAChildSpanOfTheSdk() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build()) {
      Tracer tracer = provider.get("test");
      Context remote = extractContext("traceparent",
          "00-12345678901234567890123456789012-1234567890123456-03");

      Span child = tracer.spanBuilder("child").setParent(remote).startSpan();
      String traceparent = inject(remote.with(child)).get("traceparent");
      child.end();

      assertThat(traceparent).startsWith("00-12345678901234567890123456789012-")
          .endsWith("-03")
          .doesNotContain("1234567890123456-03");
    }
  }

  @Test
  void reservedFlagsAreNotPropagated() {
    Context context = extractContext("traceparent",
        "00-12345678901234567890123456789012-1234567890123456-ff");

    assertThat(Span.fromContext(context).getSpanContext().getTraceFlags().asHex()).isEqualTo("03");
    assertThat(inject(context).get("traceparent")).endsWith("-03");
  }

  @Test
  void injectWritesNothingForAnInvalidSpanContext() {
    assertThat(inject(Context.root())).isEmpty();
  }

  @Test
  void injectWritesLowercaseVersion00AndTheTraceState() {
    SpanContext spanContext = SpanContext.create("0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331", TraceFlags.getSampled(),
        TraceState.builder().put("rojo", "00f067aa0ba902b7").put("congo", "t61rcWkgMzE").build());

    assertThat(inject(Context.root().with(Span.wrap(spanContext)))).containsExactly(
        Map.entry("traceparent", CONGO_TRACEPARENT),
        Map.entry("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
  }

  @Test
  void fieldsAreTraceparentAndTracestate() {
    assertThat(PROPAGATOR.fields()).containsExactly("traceparent", "tracestate");
  }

  // ---- tracestate ---------------------------------------------------------------------------

  @Test
  void aTracestateWithoutTraceparentIsIgnored() {
    assertThat(extractContext("tracestate", "foo=1,bar=2")).isSameAs(Context.root());
  }

  @Test
  void upTo32MembersAreKeptAnd33DiscardTheTracestateButNotTheTraceparent() {
    String[] thirtyTwo = {
        "bar01=01,bar02=02,bar03=03,bar04=04,bar05=05,bar06=06,bar07=07,bar08=08,bar09=09,bar10=10",
        "bar11=11,bar12=12,bar13=13,bar14=14,bar15=15,bar16=16,bar17=17,bar18=18,bar19=19,bar20=20",
        "bar21=21,bar22=22,bar23=23,bar24=24,bar25=25,bar26=26,bar27=27,bar28=28,bar29=29,bar30=30",
        "bar31=31,bar32=32"};

    SpanContext kept = extract("traceparent", SUITE_TRACEPARENT,
        "tracestate", thirtyTwo[0], "tracestate", thirtyTwo[1], "tracestate", thirtyTwo[2],
        "tracestate", thirtyTwo[3]);
    SpanContext discarded = extract("traceparent", SUITE_TRACEPARENT,
        "tracestate", thirtyTwo[0], "tracestate", thirtyTwo[1], "tracestate", thirtyTwo[2],
        "tracestate", thirtyTwo[3] + ",bar33=33");

    assertThat(kept.getTraceState().size()).isEqualTo(32);
    assertThat(kept.getTraceState().get("bar01")).isEqualTo("01");
    assertThat(discarded.getTraceId()).isEqualTo(SUITE_TRACE_ID);
    assertThat(discarded.getTraceState().isEmpty()).isTrue();
  }

  @Test
  void multipleTracestateHeadersAreJoinedInOrder() {
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1,bar=2", "tracestate", "rojo=1,congo=2", "tracestate", "baz=3"))
        .isEqualTo("foo=1,bar=2,rojo=1,congo=2,baz=3");
  }

  @Test
  void emptyMembersAndEmptyHeadersAreSkipped() {
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT, "tracestate", ""))
        .isNull();
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1", "tracestate", "")).isEqualTo("foo=1");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "", "tracestate", "foo=1")).isEqualTo("foo=1");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", ",foo=1, ,,\t,bar=2,")).isEqualTo("foo=1,bar=2");
  }

  @Test
  void spacesAndTabsAroundMembersAreIgnored() {
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1 \t , \t bar=2, \t baz=3")).isEqualTo("foo=1,bar=2,baz=3");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1\t \t,\t \tbar=2,\t \tbaz=3")).isEqualTo("foo=1,bar=2,baz=3");
    for (String tracestate : List.of(" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t")) {
      assertThat(extract("traceparent", SUITE_TRACEPARENT, "tracestate", tracestate)
          .getTraceState().get("foo")).as(tracestate).isEqualTo("1");
    }
  }

  @Test
  void leadingSpacesOfAValueArePartOfIt() {
    assertThat(extract("traceparent", SUITE_TRACEPARENT, "tracestate", "foo=  1")
        .getTraceState().get("foo")).isEqualTo("  1");
  }

  @Test
  void keysWithSeveralAtSignsAreAcceptedAndPropagated() {
    Context context = extractContext("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo@bar@baz=1,bar=2");

    assertThat(inject(context)).containsEntry("tracestate", "foo@bar@baz=1,bar=2");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT, "tracestate", "foo@@bar=1,bar=2"))
        .isEqualTo("foo@@bar=1,bar=2");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT, "tracestate", "foo@=1,bar=2"))
        .isEqualTo("foo@=1,bar=2");
    // The SDK's TraceState holds only the keys it accepts; the others still travel.
    assertThat(Span.fromContext(context).getSpanContext().getTraceState().get("bar"))
        .isEqualTo("2");
  }

  @Test
  void longKeysAndLongVendorPartsAreAccepted() {
    for (String key : List.of("z".repeat(256), "t".repeat(241) + "@" + "v".repeat(14),
        "t".repeat(242) + "@v", "t@" + "v".repeat(15), "1digit-first")) {
      assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
          "tracestate", "foo=1", "tracestate", key + "=1"))
          .as(key).isEqualTo("foo=1," + key + "=1");
    }
  }

  /**
   * Keys that {@code key = ( lcalpha / DIGIT ) 0*255 ( keychar )} allows, keychar being
   * {@code lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"} (Level 2, as of w3c/trace-context#584).
   */
  static Stream<String> keysTheGrammarAllows() {
    return Stream.of(
        "foo@", // an at sign may end a key
        "t".repeat(242) + "@v", // 244 characters: no limit on the part before an at sign
        "a", // one character
        "7", // a digit first, no at sign
        "0@0", // a digit after the at sign
        "a@b@c@d", // several at signs
        "a@@", // consecutive at signs ending the key
        "z".repeat(256), // the longest key
        "t".repeat(241) + "@" + "v".repeat(14), // 256 characters with an at sign
        "t@" + "v".repeat(254), // 256 characters, a long part after the at sign
        "9" + "@".repeat(255), // 256 characters, all at signs after the first
        "a_-*/@_-*/");
  }

  @ParameterizedTest
  @MethodSource("keysTheGrammarAllows")
  void aKeyTheGrammarAllowsIsKeptInItsPlaceWithTheOtherMembers(String key) {
    Context context = extractContext("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1," + key + "=2,bar=3");

    assertThat(inject(context)).containsEntry("tracestate", "foo=1," + key + "=2,bar=3");
    TraceState traceState = Span.fromContext(context).getSpanContext().getTraceState();
    assertThat(traceState.get("foo")).isEqualTo("1");
    assertThat(traceState.get("bar")).isEqualTo("3");
  }

  @Test
  void theKeysOfIssue16AreKeptThroughAChildSpan() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build()) {
      String longKey = "t".repeat(242) + "@v";
      Context remote = extractContext("traceparent", SUITE_TRACEPARENT,
          "tracestate", "foo@=1,bar=2", "tracestate", longKey + "=3");

      Span child = provider.get("test").spanBuilder("child").setParent(remote).startSpan();
      Map<String, String> injected = inject(remote.with(child));
      child.end();

      assertThat(injected).containsEntry("tracestate", "foo@=1,bar=2," + longKey + "=3");
    }
  }

  /** Keys the grammar refuses: each discards the whole tracestate, never the traceparent. */
  static Stream<String> keysTheGrammarRefuses() {
    return Stream.of(
        "z".repeat(257), // one character too long
        "t".repeat(242) + "@" + "v".repeat(14), // 257 characters with an at sign
        "@foo", // an at sign first
        "@",
        "_foo", "-foo", "*foo", "/foo", // other keychars first
        "Foo", "fOo", "foo@Bar", // uppercase anywhere
        "foo.bar", "foo bar", "foo@bar.baz", "caf\u00e9");
  }

  @ParameterizedTest
  @MethodSource("keysTheGrammarRefuses")
  void aKeyTheGrammarRefusesDiscardsTheTracestateButKeepsTheTraceparent(String key) {
    Context context = extractContext("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1," + key + "=2,bar=3");

    SpanContext spanContext = Span.fromContext(context).getSpanContext();
    assertThat(spanContext.getTraceId()).isEqualTo(SUITE_TRACE_ID);
    assertThat(spanContext.getTraceState().isEmpty()).isTrue();
    assertThat(inject(context)).containsOnlyKeys("traceparent");
  }

  @Test
  void everyAllowedCharacterIsAccepted() {
    String key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    String keyWithVendor = key + "@a-z0-9_-*/";
    String value = IntStream.rangeClosed(0x20, 0x7e)
        .filter(c -> c != ',' && c != '=')
        .mapToObj(c -> String.valueOf((char) c))
        .collect(Collectors.joining());

    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT, "tracestate", key + "=" + value))
        .isEqualTo(key + "=" + value);
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", keyWithVendor + "=" + value)).isEqualTo(keyWithVendor + "=" + value);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "foo =1", "FOO=1", "foo.bar=1", "@foo=1,bar=2", "_foo=1", "foo=bar=baz", "foo=,bar=3",
      "foo", "=1", "foo=1\tx", "foo=caf\u00e9", "foo=1,bar",
  })
  void aMalformedMemberDiscardsTheTracestateButKeepsTheTraceparent(String tracestate) {
    Context context = extractContext("traceparent", SUITE_TRACEPARENT, "tracestate", tracestate);

    SpanContext spanContext = Span.fromContext(context).getSpanContext();
    assertThat(spanContext.getTraceId()).isEqualTo(SUITE_TRACE_ID);
    assertThat(spanContext.getTraceState().isEmpty()).isTrue();
    assertThat(inject(context)).containsOnlyKeys("traceparent");
  }

  @Test
  void keysAndValuesOverTheLimitsDiscardTheTracestate() {
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1", "tracestate", "z".repeat(257) + "=1")).isNull();
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=" + "v".repeat(257))).isNull();
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=" + "v".repeat(256))).isEqualTo("foo=" + "v".repeat(256));
  }

  @Test
  void aDuplicatedKeyKeepsItsLeftMostEntryAndTheRestOfTheHeader() {
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT, "tracestate", "foo=1,foo=1"))
        .isEqualTo("foo=1");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1,bar=2,foo=3")).isEqualTo("foo=1,bar=2");
    assertThat(tracestateOf("traceparent", SUITE_TRACEPARENT,
        "tracestate", "foo=1", "tracestate", "foo=2")).isEqualTo("foo=1");
  }

  @Test
  void aChildSpanInTheSameTraceCarriesTheTracestateOnIncludingKeysTheSdkCannotHold() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build()) {
      Tracer tracer = provider.get("test");
      Context remote = extractContext("traceparent", CONGO_TRACEPARENT,
          "tracestate", "congo=t61rcWkgMzE,a@b@c=1,rojo=00f067aa0ba902b7");

      Span child = tracer.spanBuilder("child").setParent(remote).startSpan();
      Map<String, String> sameTrace = inject(remote.with(child));
      Span newRoot = tracer.spanBuilder("root").setNoParent().startSpan();
      Map<String, String> otherTrace = inject(remote.with(newRoot));
      child.end();
      newRoot.end();

      assertThat(sameTrace).containsEntry("tracestate",
          "congo=t61rcWkgMzE,a@b@c=1,rojo=00f067aa0ba902b7");
      assertThat(otherTrace).doesNotContainKey("tracestate");
    }
  }

  @Test
  void aModifiedTracestateMovesChangedMembersLeftAndKeepsTheOthersInOrder() {
    Context remote = extractContext("traceparent", CONGO_TRACEPARENT,
        "tracestate", "congo=t61rcWkgMzE,a@b@c=1,rojo=00f067aa0ba902b7,gone=1");
    SpanContext received = Span.fromContext(remote).getSpanContext();
    TraceState changed = received.getTraceState().toBuilder()
        .put("rojo", "b7ad6b7169203331")
        .put("servo", "x")
        .remove("gone")
        .build();
    Context modified = remote.with(Span.wrap(SpanContext.create(received.getTraceId(),
        "1111111111111111", received.getTraceFlags(), changed)));

    assertThat(inject(modified)).containsEntry("tracestate",
        "servo=x,rojo=b7ad6b7169203331,congo=t61rcWkgMzE,a@b@c=1");
  }

  @Test
  void aLaterExtractReplacesTheTracestateOfAnEarlierOne() {
    Context first = extractContext("traceparent", CONGO_TRACEPARENT, "tracestate", "a@b@c=1");
    Context second = MapCarrier.extractHeaders(PROPAGATOR, first,
        headers("traceparent", CONGO_TRACEPARENT, "tracestate", "rojo=2"));
    Context third = MapCarrier.extractHeaders(PROPAGATOR, first,
        headers("traceparent", CONGO_TRACEPARENT, "tracestate", "x@y@z=3"));

    assertThat(inject(second)).containsEntry("tracestate", "rojo=2");
    assertThat(inject(third)).containsEntry("tracestate", "x@y@z=3");
  }

  @Test
  void nullArgumentsAreTolerated() {
    assertThat(PROPAGATOR.extract(null, Map.of(), MapCarrier.getter())).isSameAs(Context.root());
    Context context = Context.root();
    assertThat(PROPAGATOR.extract(context, Map.<String, String>of(), null)).isSameAs(context);
    PROPAGATOR.inject(null, new LinkedHashMap<String, String>(), MapCarrier.setter());
    PROPAGATOR.inject(context, new LinkedHashMap<String, String>(), null);
  }

  @Test
  void theUnsampledCheckAnswersTrueOnlyForAValidVersionZeroHeaderWithoutTheSampledFlag() {
    String ids = "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7";
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("00-" + ids + "-00")).isTrue();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("00-" + ids + "-02")).as("random, not sampled").isTrue();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("00-" + ids + "-01")).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("00-" + ids + "-03")).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("01-" + ids + "-00")).as("another version").isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("00-" + ids + "-00-x")).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("00-" + ids.toUpperCase() + "-00")).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent(
        "00-00000000000000000000000000000000-00f067aa0ba902b7-00")).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-00")).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent(null)).isFalse();
    assertThat(ServoTraceContextPropagator.isUnsampledTraceparent("")).isFalse();
  }
}
