package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.cli.security.RawHttp.Header;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Thousands of deliveries to the real worker's {@code /execute} (HMAC enforced, PostgreSQL, tracing
 * at 1.0): payloads mutated from a valid one, unsigned and validly signed; signatures and
 * timestamps mutated; hostile {@code traceparent}/{@code tracestate} (W3C and Servo's signed
 * headers) on unsigned and on validly signed deliveries; odd methods and paths.
 *
 * <p>Properties: an answer for every request; never a 5xx (the worker's documented 503s need a live
 * lease, a broken database or a shutdown, none of which a request can cause here); nothing changes
 * in the database (every execution addressed has ended or does not exist); a rejected delivery
 * (401, 400, 413) gets no span and no header of it is read; Servo's trace headers added after
 * signing fail authentication; a signed delivery is parented on its signed trace whatever its W3C
 * headers say, and an unsigned header's trace state never reaches a span; no
 * ERROR log, no exception escaping a handler, no forged log line, no raw control character on a span.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileDeliveryFuzzTest {
  private static final String TINY = "workflow: tiny\nassets: [{name: one, kind: sql, sql: SELECT 1}]\n";
  private static final String SIGNED_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

  private SecurityStack stack;
  private EncodedLogs logs;
  private String acmeExecution;
  private String globexExecution;

  @BeforeAll
  void start() {
    stack = SecurityStack.postgres().start();
    acmeExecution = stack.runToEnd(SecurityStack.ACME_TOKEN, "tiny", TINY).path("execution_id").asText();
    globexExecution = stack.runToEnd(SecurityStack.GLOBEX_TOKEN, "tiny", TINY).path("execution_id").asText();
    stack.awaitQuiet();
    logs = EncodedLogs.start();
  }

  @AfterAll
  void stop() {
    if (logs != null) {
      logs.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @BeforeEach
  void clear() {
    stack.flush();
    stack.orchestratorSpans.reset();
    stack.workerSpans.reset();
    logs.clear();
  }

  /** A valid payload whose signed trace names {@code parentSpanId} as the producer span. */
  private byte[] validPayload(Hostile h, String traceId, String parentSpanId) {
    boolean acme = h.chance(0.5);
    String id = h.chance(0.8) ? (acme ? acmeExecution : globexExecution) : new UUID(h.random().nextLong(), h.random().nextLong()).toString();
    return SignedTasks.payload(stack.storage, acme ? SecurityStack.ACME : SecurityStack.GLOBEX, "tiny", id,
        new TraceMetadata("00-" + traceId + "-" + parentSpanId + "-01", h.chance(0.3) ? "servo=signed" : null));
  }

  @Test
  void hostileDeliveriesAreRejectedOrIgnoredAndChangeNothing() {
    long seed = Hostile.seed("HostileDeliveryFuzzTest.hostileDeliveries");
    Hostile h = new Hostile(seed);
    int iterations = Hostile.iterations(1200);
    String baseline = stack.dump();
    List<String> failures = new ArrayList<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    int decoded = 0;
    List<String> expectedParents = new ArrayList<>();
    for (int i = 0; i < iterations; i++) {
      String kind;
      String parentSpanId = h.hex(16);
      int choice = h.nextInt(6);
      // Payloads that get mutated carry another trace: the checks below are about intact ones.
      byte[] body = validPayload(h, choice == 1 ? h.hex(32) : SIGNED_TRACE_ID, parentSpanId);
      List<Header> headers = new ArrayList<>();
      String method = "POST";
      String path = "/execute";
      switch (choice) {
        case 0 -> { // a mutated body, not signed (or signed with the wrong key)
          kind = "unsigned";
          body = h.mutateBytes(body);
          if (h.chance(0.5)) {
            headers.add(new Header(TaskSignature.TIMESTAMP_HEADER, Long.toString(System.currentTimeMillis() / 1000)));
            headers.add(new Header(TaskSignature.SIGNATURE_HEADER, "v1=" + h.hex(64)));
          }
        }
        case 1 -> { // a mutated body, validly signed: only a holder of the key can send this
          kind = "signed-mutated";
          body = h.mutateBytes(body);
          headers.addAll(SignedTasks.signature(body));
        }
        case 2 -> { // a valid body with a mutated signature or timestamp
          kind = "signature";
          headers.addAll(signatureVariant(h, body));
        }
        case 3 -> { // a valid, signed delivery with hostile trace headers
          kind = "signed-trace";
          headers.addAll(SignedTasks.signature(body));
        }
        case 4 -> { // an unsigned delivery with hostile trace headers
          kind = "unsigned-trace";
        }
        default -> { // odd methods and paths
          kind = "route";
          method = h.pick(List.of("GET", "PUT", "DELETE", "HEAD", "OPTIONS", "FOO", "post", "POST"));
          path = h.pick(List.of("/execute/", "/execute/..", "/EXECUTE", "//execute", "/execute?x=1", "/health",
              "/ready", "/health/../execute", "/%65xecute", "/" + h.hex(8), "/execute%00", "/execute;x"));
          headers.addAll(SignedTasks.signature(body));
        }
      }
      if (kind.endsWith("trace") || h.chance(0.3)) {
        traceHeaders(h, headers);
      }
      if (h.chance(0.2)) {
        headers.add(new Header(h.pick(List.of("X-CloudTasks-TaskName", "X-CloudTasks-TaskRetryCount",
            "X-CloudTasks-TaskETA", "X-CloudTasks-QueueName", "User-Agent", "X-Forwarded-For")), h.garbage(30)));
      }
      RawHttp.Response response = RawHttp.send(stack.workerPort(), method, path, headers, body);
      String what = "#" + i + " " + kind + " " + method + " " + path + " " + Hostile.show(headers.toString())
          + " body " + Hostile.show(new String(body, StandardCharsets.UTF_8));
      outcomes.merge(kind + ":" + response.status(), 1, Integer::sum);
      if (!response.answered()) {
        if (RawHttp.droppedBeforeAnyHandler(method, path, headers)) {
          continue; // the worker never saw it
        }
        failures.add(what + " -> no answer: " + response.failure());
        continue;
      }
      int status = response.status();
      if (status >= 500) {
        failures.add(what + " -> " + status + " " + response.text());
      }
      if (kind.startsWith("unsigned") && path.equals("/execute") && method.equals("POST") && status != 401) {
        failures.add(what + " -> " + status + " (expected 401) " + response.text());
      }
      boolean servoTraceHeaders = headers.stream().anyMatch(x -> x.name().equalsIgnoreCase(TaskSignature.TRACEPARENT_HEADER)
          || x.name().equalsIgnoreCase(TaskSignature.TRACESTATE_HEADER));
      if (kind.equals("signed-trace") && servoTraceHeaders && status != 401) {
        failures.add(what + " -> " + status + " (expected 401: Servo's trace headers were added after signing) "
            + response.text());
      }
      if (kind.equals("signed-trace") && !servoTraceHeaders && status != 200 && status != 404) {
        failures.add(what + " -> " + status + " (a valid delivery) " + response.text());
      }
      boolean passedDecoding = method.equals("POST") && "/execute".equals(java.net.URI.create(path).getPath())
          && (status == 200 || status == 404);
      if (passedDecoding) {
        decoded++;
        if (!kind.equals("signed-mutated")) {
          expectedParents.add(parentSpanId);
        }
      }
      String after = stack.dump();
      if (!after.equals(baseline)) {
        failures.add(what + " -> " + status + " changed the database");
        baseline = after;
      }
    }
    System.out.println("  " + iterations + " deliveries: " + outcomes);

    List<SpanData> spans = stack.spans();
    List<SpanData> servers = spans.stream().filter(s -> s.getName().equals("POST /execute")).toList();
    assertThat(failures).as("seed %d: deliveries that failed a property", seed).isEmpty();
    assertThat(servers).as("seed %d: every delivery with an intact payload is parented on its signed trace", seed)
        .extracting(SpanData::getParentSpanId).containsAll(expectedParents);
    // Parent span ids are random: a SERVER span on one of them is that delivery's, and only one may be.
    Set<String> intact = new HashSet<>(expectedParents);
    long onIntact = servers.stream().filter(s -> intact.contains(s.getParentSpanId())).count();
    assertThat(onIntact).as("seed %d: one SERVER span per delivery with an intact payload", seed)
        .isEqualTo(expectedParents.size());
    // A mutated payload's trace may no longer parse (seed 8147775347270705356, #29); such a delivery
    // then starts a trace of its own or, unsampled, has no span.
    assertThat(servers.size() - onIntact)
        .as("seed %d: at most one SERVER span per delivery with a mutated payload that passed decoding", seed)
        .isLessThanOrEqualTo(decoded - expectedParents.size());
    assertThat(spans.stream().filter(s -> s.getTraceId().equals(SIGNED_TRACE_ID)))
        .as("seed %d: trace state comes only from the signed payload", seed)
        .allSatisfy(s -> assertThat(Map.of("servo", "signed")).containsAllEntriesOf(s.getSpanContext().getTraceState().asMap()))
        .allSatisfy(s -> s.getLinks().forEach(l -> assertThat(l.getSpanContext().getTraceState().isEmpty()).isTrue()));
    assertThat(SpanChecks.rawControlCharacters(spans)).as("seed %d: spans with raw control characters", seed).isEmpty();
    assertThat(logs.escapedFromHandlers()).as("seed %d: exceptions escaping a handler", seed).isEmpty();
    assertThat(logs.errors()).as("seed %d: ERROR log events", seed).extracting(e -> Hostile.show(e.text())).isEmpty();
    assertThat(logs.forgedOrBrokenLines()).as("seed %d: forged or broken log lines", seed).isEmpty();
  }

  private static List<Header> signatureVariant(Hostile h, byte[] body) {
    long now = System.currentTimeMillis() / 1000;
    String timestamp = h.pick(List.of(Long.toString(now), Long.toString(now - 301), Long.toString(now + 301),
        Long.toString(now - 299), " " + now + " ", "+" + now, "0" + now, "-1", "0", "9223372036854775807",
        "-9223372036854775808", "31556889864403199", "31556889864403200", "99999999999999999999", "1e9", "", " ",
        now + ".5", "0x10", h.garbage(12)));
    if (h.chance(0.5)) {
      return SignedTasks.signatureAt(body, timestamp);
    }
    String signature = h.pick(List.of("v1=", "v1=" + h.hex(64), "v1=" + h.hex(63), "v2=" + h.hex(64), "v1=" + "zz".repeat(32),
        "V1=" + h.hex(64), h.garbage(70), "v1=" + h.hex(64) + "," + "v1=" + h.hex(64), "v1= " + h.hex(64)));
    return List.of(new Header(TaskSignature.TIMESTAMP_HEADER, timestamp), new Header(TaskSignature.SIGNATURE_HEADER, signature));
  }

  private static void traceHeaders(Hostile h, List<Header> headers) {
    for (String name : List.of("traceparent", "X-Servo-Traceparent")) {
      if (h.chance(0.7)) {
        headers.add(new Header(name, h.traceparent()));
      }
    }
    for (String name : List.of("tracestate", "X-Servo-Tracestate")) {
      if (h.chance(0.6)) {
        headers.add(new Header(name, h.tracestate()));
      }
    }
    if (h.chance(0.2)) {
      headers.add(new Header("traceparent", "00-" + h.hex(32) + "-" + h.hex(16) + "-01"));
    }
  }
}
