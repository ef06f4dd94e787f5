package io.servo.telemetry.propagation;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * W3C Trace Context Level 2 ({@code traceparent} and {@code tracestate}), in place of the SDK's
 * {@code W3CTraceContextPropagator}.
 *
 * <p>The stock propagator (1.68) drops a whole {@code tracestate} that Level 2 allows: keys with
 * several {@code @} or ending in {@code @}, digit-first keys without {@code @}, more than 241
 * characters before an {@code @} or more than 14 after it, and duplicated keys. This one follows
 * the specification's key grammar, {@code key = ( lcalpha / DIGIT ) 0*255 ( keychar )} with
 * {@code @} among the keychars (the grammar the W3C test suite checks since w3c/trace-context#584)
 * and the rest of the specification
 * (<a href="https://www.w3.org/TR/trace-context-2/">https://www.w3.org/TR/trace-context-2/</a>):
 *
 * <ul>
 *   <li>{@code traceparent}: lowercase hex only; version {@code ff} is invalid; version {@code 00} is
 *       exactly 55 characters; a higher version is parsed by its first four fields and may carry
 *       more {@code -}-separated fields after the flags; all-zero ids are invalid. Spaces and tabs
 *       around the value are ignored. Several instances with different values are invalid. The
 *       sampled ({@code 0x01}) and random trace id ({@code 0x02}) flags are kept; the reserved bits
 *       are cleared, as the specification asks of anyone sending the header.
 *   <li>{@code tracestate}: instances are joined with {@code ,}; empty members and spaces or tabs
 *       around members are ignored; more than 32 members, or one malformed member, discard the whole
 *       {@code tracestate} but keep the {@code traceparent}. A duplicated key keeps its left-most
 *       entry.
 *   <li>An invalid {@code traceparent} extracts nothing, and its {@code tracestate} is not read.
 * </ul>
 *
 * <p>Members whose keys the SDK's {@link TraceState} cannot hold are still propagated: they ride
 * along in the {@link Context} and are written back on inject, in their original position, as long
 * as the span being injected belongs to the same trace. {@link SpanContext#getTraceState()} shows
 * only the members the SDK can hold.
 */
public final class ServoTraceContextPropagator implements TextMapPropagator {

  /** The header that carries the trace id, parent span id and flags. */
  public static final String TRACEPARENT = "traceparent";

  /** The header that carries vendor-specific state. */
  public static final String TRACESTATE = "tracestate";

  private static final List<String> FIELDS = List.of(TRACEPARENT, TRACESTATE);
  private static final ServoTraceContextPropagator INSTANCE = new ServoTraceContextPropagator();

  private static final int TRACEPARENT_V00_LENGTH = 55;
  private static final int TRACE_ID_OFFSET = 3;
  private static final int SPAN_ID_OFFSET = 36;
  private static final int FLAGS_OFFSET = 53;
  private static final int MAX_MEMBERS = 32;
  private static final int MAX_KEY_LENGTH = 256;
  private static final int MAX_VALUE_LENGTH = 256;
  /** The flags Level 2 defines: sampled (0x01) and random trace id (0x02). */
  private static final int KNOWN_FLAGS = 0x03;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static final ContextKey<ReceivedTraceState> RECEIVED =
      ContextKey.named("servo-received-tracestate");
  /** Shadows a tracestate received by an earlier extract into the same context. */
  private static final ReceivedTraceState NOTHING_RECEIVED =
      new ReceivedTraceState("", List.of(), TraceState.getDefault(), "");

  private ServoTraceContextPropagator() {}

  /** The propagator; it is stateless. */
  public static ServoTraceContextPropagator getInstance() {
    return INSTANCE;
  }

  @Override
  public Collection<String> fields() {
    return FIELDS;
  }

  @Override
  public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {
    if (context == null || setter == null) {
      return;
    }
    SpanContext spanContext = Span.fromContext(context).getSpanContext();
    if (!spanContext.isValid()) {
      return;
    }
    int flags = spanContext.getTraceFlags().asByte() & KNOWN_FLAGS;
    String traceparent = "00-" + spanContext.getTraceId() + "-" + spanContext.getSpanId() + "-"
        + HEX[flags >> 4] + HEX[flags & 0xf];
    setter.set(carrier, TRACEPARENT, traceparent);

    String tracestate = outgoingTraceState(context.get(RECEIVED), spanContext);
    if (!tracestate.isEmpty()) {
      setter.set(carrier, TRACESTATE, tracestate);
    }
  }

  @Override
  public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
    if (context == null) {
      return Context.root();
    }
    if (getter == null) {
      return context;
    }
    String traceparent = single(getter.getAll(carrier, TRACEPARENT));
    if (traceparent == null) {
      return context;
    }
    ParsedTraceparent parent = parseTraceparent(traceparent);
    if (parent == null) {
      return context;
    }
    ReceivedTraceState received = parseTraceState(parent.traceId, getter.getAll(carrier, TRACESTATE));
    TraceState traceState = received == null ? TraceState.getDefault() : received.traceState;
    SpanContext remote = SpanContext.createFromRemoteParent(parent.traceId, parent.spanId,
        TraceFlags.fromByte(parent.flags), traceState);
    Context extracted = context.with(Span.wrap(remote));
    if (received != null && received.hasMembersTheSdkCannotHold()) {
      return extracted.with(RECEIVED, received);
    }
    return extracted.get(RECEIVED) == null ? extracted : extracted.with(RECEIVED, NOTHING_RECEIVED);
  }

  @Override
  public String toString() {
    return "ServoTraceContextPropagator";
  }

  /**
   * All instances of a header must agree; a repeated {@code traceparent} with different values is
   * ambiguous and therefore invalid (W3C test suite: {@code test_traceparent_duplicated}).
   */
  private static String single(Iterator<String> values) {
    String first = null;
    while (values != null && values.hasNext()) {
      String value = values.next();
      if (value == null) {
        continue;
      }
      String trimmed = trimOws(value);
      if (first == null) {
        first = trimmed;
      } else if (!first.equals(trimmed)) {
        return null;
      }
    }
    return first;
  }

  private record ParsedTraceparent(String traceId, String spanId, byte flags) {}

  /**
   * Whether {@code value} is a valid version-00 {@code traceparent} whose sampled flag is off,
   * checked without allocating: a hop that only needs to know that (the relay handing over an
   * unsampled task) skips a full {@link #extract}, which costs a map, strings and a context.
   * Anything else (sampled, another version, invalid) answers false.
   */
  public static boolean isUnsampledTraceparent(String value) {
    if (value == null || value.length() != TRACEPARENT_V00_LENGTH || value.charAt(0) != '0'
        || value.charAt(1) != '0' || value.charAt(2) != '-'
        || !isLowerHex(value, TRACE_ID_OFFSET, 32) || value.charAt(SPAN_ID_OFFSET - 1) != '-'
        || !isLowerHex(value, SPAN_ID_OFFSET, 16) || value.charAt(FLAGS_OFFSET - 1) != '-'
        || !isLowerHex(value, FLAGS_OFFSET, 2)
        || isAllZero(value, TRACE_ID_OFFSET, 32) || isAllZero(value, SPAN_ID_OFFSET, 16)) {
      return false;
    }
    return (Character.digit(value.charAt(FLAGS_OFFSET + 1), 16) & 0x01) == 0;
  }

  private static boolean isAllZero(String s, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  /** Returns null when the header is invalid. */
  static ParsedTraceparent parseTraceparent(String value) {
    if (value.length() < TRACEPARENT_V00_LENGTH
        || !isLowerHex(value, 0, 2) || value.charAt(2) != '-') {
      return null;
    }
    String version = value.substring(0, 2);
    if (version.equals("ff")) {
      return null;
    }
    if (version.equals("00")) {
      if (value.length() != TRACEPARENT_V00_LENGTH) {
        return null;
      }
    } else if (value.length() > TRACEPARENT_V00_LENGTH
        && value.charAt(TRACEPARENT_V00_LENGTH) != '-') {
      // A higher version may append fields, but only after another dash.
      return null;
    }
    if (!isLowerHex(value, TRACE_ID_OFFSET, 32) || value.charAt(SPAN_ID_OFFSET - 1) != '-'
        || !isLowerHex(value, SPAN_ID_OFFSET, 16) || value.charAt(FLAGS_OFFSET - 1) != '-'
        || !isLowerHex(value, FLAGS_OFFSET, 2)) {
      return null;
    }
    String traceId = value.substring(TRACE_ID_OFFSET, TRACE_ID_OFFSET + 32);
    String spanId = value.substring(SPAN_ID_OFFSET, SPAN_ID_OFFSET + 16);
    if (isAllZero(traceId) || isAllZero(spanId)) {
      return null;
    }
    int flags = Character.digit(value.charAt(FLAGS_OFFSET), 16) << 4
        | Character.digit(value.charAt(FLAGS_OFFSET + 1), 16);
    // Unknown flags are not propagated: "Vendors will set all unparsed / unknown trace-flags to 0
    // on outgoing requests" (Processing Model, A traceparent is Received).
    return new ParsedTraceparent(traceId, spanId, (byte) (flags & KNOWN_FLAGS));
  }

  /** Returns null when there is no tracestate or it is invalid. */
  static ReceivedTraceState parseTraceState(String traceId, Iterator<String> instances) {
    if (instances == null || !instances.hasNext()) {
      return null;
    }
    // Several header instances are one list (RFC 9110 §5.3): join them with commas.
    StringBuilder joined = new StringBuilder();
    boolean any = false;
    while (instances.hasNext()) {
      String instance = instances.next();
      if (instance == null) {
        continue;
      }
      if (any) {
        joined.append(',');
      }
      joined.append(instance);
      any = true;
    }
    if (!any) {
      return null;
    }
    List<String[]> members = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    int count = 0;
    int start = 0;
    int length = joined.length();
    while (start <= length) {
      int comma = joined.indexOf(",", start);
      int end = comma < 0 ? length : comma;
      String member = trimOws(joined.substring(start, end));
      start = end + 1;
      if (member.isEmpty()) {
        continue; // empty and whitespace-only members are allowed
      }
      if (++count > MAX_MEMBERS) {
        return null;
      }
      int eq = member.indexOf('=');
      if (eq < 0) {
        return null;
      }
      String key = member.substring(0, eq);
      String value = member.substring(eq + 1);
      if (!isValidKey(key) || !isValidValue(value)) {
        return null;
      }
      // W3C Trace Context Level 2, §3.5 "Mutating the tracestate Field": a vendor MUST NOT produce
      // a duplicated key, and "vendors MAY also discard duplicate keys that were not generated by
      // them". Duplicates do not make the header invalid (the Level 2 test suite's
      // test_tracestate_duplicated_keys expects the tracestate to be inherited), so the left-most,
      // i.e. most recently written, entry of a key is kept and later ones are discarded.
      if (keys.add(key)) {
        members.add(new String[] {key, value});
      }
    }
    if (members.isEmpty()) {
      return null;
    }
    return ReceivedTraceState.of(traceId, members);
  }

  /**
   * What to send as {@code tracestate} for {@code spanContext}: its own trace state plus, when the
   * context holds a tracestate received for the same trace, the members the SDK could not hold.
   */
  private static String outgoingTraceState(ReceivedTraceState received, SpanContext spanContext) {
    TraceState current = spanContext.getTraceState();
    if (received == null || received.members.isEmpty()
        || !received.traceId.equals(spanContext.getTraceId())) {
      return serialize(current);
    }
    if (current == received.traceState) {
      return received.header; // unchanged since extract: send it as received
    }
    // W3C §3.5: modified and added members move to the left; unmodified members keep their order.
    List<String> out = new ArrayList<>();
    current.forEach((key, value) -> {
      if (!value.equals(received.traceState.get(key))) {
        out.add(key + "=" + value);
      }
    });
    for (String[] member : received.members) {
      String held = received.traceState.get(member[0]);
      if (held == null || member[1].equals(current.get(member[0]))) {
        out.add(member[0] + "=" + member[1]);
      }
    }
    // "If adding an entry would cause the tracestate list to contain more than 32 list-members
    // the right-most list-member should be removed" (§3.3).
    return String.join(",", out.size() > MAX_MEMBERS ? out.subList(0, MAX_MEMBERS) : out);
  }

  private static String serialize(TraceState traceState) {
    if (traceState.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    traceState.forEach((key, value) -> {
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(key).append('=').append(value);
    });
    return out.toString();
  }

  /** {@code key = ( lcalpha / DIGIT ) 0*255 ( keychar )}, keychar adding {@code _ - * / @}. */
  static boolean isValidKey(String key) {
    if (key.isEmpty() || key.length() > MAX_KEY_LENGTH || !isLcAlphaOrDigit(key.charAt(0))) {
      return false;
    }
    for (int i = 1; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!isLcAlphaOrDigit(c) && c != '_' && c != '-' && c != '*' && c != '/' && c != '@') {
        return false;
      }
    }
    return true;
  }

  /** 1–256 printable ASCII characters except {@code ,} and {@code =}, not ending in a space. */
  static boolean isValidValue(String value) {
    if (value.isEmpty() || value.length() > MAX_VALUE_LENGTH
        || value.charAt(value.length() - 1) == ' ') {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLcAlphaOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  private static boolean isLowerHex(String s, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAllZero(String hex) {
    for (int i = 0; i < hex.length(); i++) {
      if (hex.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  /** Removes optional whitespace (RFC 9110 OWS: spaces and horizontal tabs) at both ends. */
  private static String trimOws(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
      end--;
    }
    return s.substring(start, end);
  }

  /**
   * A validated tracestate as received: its members in order (duplicates removed), the part the
   * SDK's TraceState can hold, and the header to send while nothing changed it.
   */
  record ReceivedTraceState(String traceId, List<String[]> members, TraceState traceState,
      String header) {

    static ReceivedTraceState of(String traceId, List<String[]> members) {
      TraceStateBuilder builder = TraceState.builder();
      // The builder puts each entry at the front, so add them right to left to keep the order.
      for (int i = members.size() - 1; i >= 0; i--) {
        builder.put(members.get(i)[0], members.get(i)[1]);
      }
      StringBuilder header = new StringBuilder();
      for (String[] member : members) {
        if (header.length() > 0) {
          header.append(',');
        }
        header.append(member[0]).append('=').append(member[1]);
      }
      return new ReceivedTraceState(traceId, List.copyOf(members), builder.build(),
          header.toString());
    }

    boolean hasMembersTheSdkCannotHold() {
      return traceState.size() != members.size();
    }
  }
}
