package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.cli.security.RawHttp.Header;
import io.servo.core.json.Json;
import io.servo.core.workflow.WorkflowLoader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Thousands of generated and mutated requests against the real orchestrator API (PostgreSQL,
 * production mode, tracing at 1.0): odd methods, paths with {@code ..} and percent-encoding, long and
 * non-UUID ids, hostile headers ({@code traceparent}, {@code tracestate}, {@code Authorization},
 * {@code Idempotency-Key}, …) and bodies mutated from the example workflow.
 *
 * <p>For every request: an answer (never a dropped connection), never a 5xx but the documented 503
 * with {@code Retry-After}, and no change to any table when it was refused. Over the run: no ERROR
 * log, no exception escaping a handler, no log line forged or carrying raw control characters
 * (text and JSON formats), no span carrying them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileApiFuzzTest {
  private static final String TINY = "workflow: tiny\nassets: [{name: one, kind: sql, sql: SELECT 1}]\n";

  private SecurityStack stack;
  private EncodedLogs logs;
  private String example;
  private String exampleJson;
  private String acmeExecution;
  private String globexExecution;

  @BeforeAll
  void start() throws Exception {
    stack = SecurityStack.postgres().start();
    example = Files.readString(SecurityStack.HOME.resolve("examples/daily_sales.yaml"));
    exampleJson = Json.mapper().writeValueAsString(WorkflowLoader.toTree(WorkflowLoader.parse(example)));
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

  @Test
  void hostileRequestsAreAnsweredAndChangeNothing() {
    long seed = Hostile.seed("HostileApiFuzzTest.hostileRequests");
    Hostile h = new Hostile(seed);
    int iterations = Hostile.iterations(1500);
    Run run = new Run();
    for (int i = 0; i < iterations; i++) {
      String method = method(h);
      String target = target(h);
      List<Header> headers = headers(h);
      byte[] body = h.chance(0.7) ? body(h) : null;
      run.send(i, method, target, headers, body);
    }
    run.verify(seed, iterations);
  }

  @Test
  void workflowFilesMutatedFromTheExampleAreValidatedNeverCrash() {
    long seed = Hostile.seed("HostileApiFuzzTest.workflowFiles");
    Hostile h = new Hostile(seed);
    int iterations = Hostile.iterations(1000);
    Run run = new Run();
    for (int i = 0; i < iterations; i++) {
      byte[] file = h.chance(0.5) ? h.mutate(example).getBytes(StandardCharsets.UTF_8)
          : h.chance(0.8) ? h.mutate(exampleJson).getBytes(StandardCharsets.UTF_8)
          : h.mutateBytes(example.getBytes(StandardCharsets.UTF_8));
      String name = h.chance(0.9) ? "daily_sales" : encodePath(h.mutate("daily_sales"));
      List<Header> headers = new ArrayList<>(List.of(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN),
          new Header("Content-Type", h.pick(List.of("application/yaml", "application/json", "text/plain", h.garbage(10))))));
      run.send(i, "PUT", "/v1/workflows/" + name, headers, file);
    }
    run.verify(seed, iterations);
  }

  /** The bookkeeping of one fuzz run: each request against the database before and after it. */
  private final class Run {
    private final List<String> failures = new ArrayList<>();
    private final java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    private String baseline = stack.dump();
    private int retryable;
    private int jdkRefusals;
    private long slowest;
    private String slowestRequest;

    void send(int i, String method, String target, List<Header> headers, byte[] body) {
      long t0 = System.nanoTime();
      RawHttp.Response response = RawHttp.send(stack.apiPort(), method, target, headers, body);
      long millis = (System.nanoTime() - t0) / 1_000_000;
      if (millis > slowest) {
        slowest = millis;
        slowestRequest = "#" + i + " " + Hostile.show(method + " " + target) + " -> " + response.status();
      }
      statuses.merge(response.status(), 1, Integer::sum);
      String what = "#" + i + " " + Hostile.show(method + " " + target) + " " + Hostile.show(headers.toString())
          + (body == null ? "" : " body " + Hostile.show(new String(body, StandardCharsets.UTF_8)));
      if (!response.answered()) {
        // Servo never saw such a request, so it cannot have changed anything either.
        if (RawHttp.droppedBeforeAnyHandler(method, target, headers)) {
          checkUnchanged(what + " (refused by the HTTP server)");
          return;
        }
        failures.add(what + " -> no answer: " + response.failure());
        return;
      }
      int status = response.status();
      if (status == 501 && headers.stream().anyMatch(hd -> hd.name().equalsIgnoreCase("Transfer-Encoding"))
          && response.text().contains("Unsupported Transfer-Encoding")) {
        // The JDK's HTTP server answers a transfer coding it does not know before any handler runs
        // (RFC 9112 §6.1 asks for 501): not Servo's parsing.
        jdkRefusals++;
        checkUnchanged(what + " -> 501 from the HTTP server");
        return;
      }
      if (status >= 500 && !(status == 503 && response.header("Retry-After") != null)) {
        failures.add(what + " -> " + status + " " + response.text());
      }
      if (status == 503) {
        retryable++;
      }
      if (status >= 300 || method.equals("GET") || method.equals("HEAD")) {
        checkUnchanged(what + " -> " + status);
      } else {
        if (target.contains("/executions") && status == 201) {
          stack.awaitQuiet();
        }
        baseline = stack.dump();
      }
    }

    private void checkUnchanged(String what) {
      String after = stack.dump();
      if (!after.equals(baseline)) {
        failures.add(what + " changed the database");
        baseline = after;
      }
    }

    void verify(long seed, int iterations) {
      System.out.println("  " + iterations + " requests, statuses " + statuses + ", 503s " + retryable
          + ", refused by the JDK's HTTP server " + jdkRefusals + ", slowest " + slowest + " ms: " + slowestRequest);
      assertThat(failures).as("seed %d: requests that failed a property (first 20)", seed)
          .isEmpty();
      List<String> escaped = logs.escapedFromHandlers();
      assertThat(escaped).as("seed %d: exceptions escaping a handler", seed).isEmpty();
      assertThat(logs.errors()).as("seed %d: ERROR log events", seed)
          .extracting(e -> Hostile.show(e.text())).isEmpty();
      assertThat(logs.forgedOrBrokenLines()).as("seed %d: forged or broken log lines", seed).isEmpty();
      assertThat(SpanChecks.rawControlCharacters(stack.spans())).as("seed %d: spans with raw control characters", seed)
          .isEmpty();
      assertThat(SpanChecks.containing(stack.spans(), "FORGED")).as("seed %d: spans with planted text", seed)
          .allSatisfy(s -> assertThat(s).doesNotContain("\n" + "FORGED"));
    }
  }

  private static String method(Hostile h) {
    return h.pick(List.of("GET", "GET", "POST", "POST", "PUT", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
        "CONNECT", "FOO", "get", "Put", "X".repeat(1 + h.nextInt(300)), "G\u0001T", "PO\u007fST", "GET\u2028"));
  }

  private String target(Hostile h) {
    String name = h.pick(List.of("tiny", "daily_sales", "nope", h.mutate("tiny"), "..", "%2e%2e", "tiny%2F..",
        "a".repeat(64), "a".repeat(10_000), "ünïcödé", "%0a" + "FORGED", "%00", "tiny%20", "ti%6Ey", "*",
        "tiny;x=1", "%252e%252e", h.garbage(20)));
    String id = h.pick(List.of(acmeExecution, globexExecution, acmeExecution.toUpperCase(java.util.Locale.ROOT),
        "{" + acmeExecution + "}", UUID.randomUUID().toString(), "not-a-uuid", "../../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd", "%00", "0".repeat(10_000), acmeExecution + "%0a" + "FORGED",
        acmeExecution.replace("-", ""), h.garbage(40)));
    String path = switch (h.nextInt(12)) {
      case 0, 1, 2 -> "/v1/workflows/" + encodePathMaybe(h, name);
      case 3, 4, 5 -> "/v1/workflows/" + encodePathMaybe(h, name) + "/executions";
      case 6, 7, 8 -> "/v1/executions/" + encodePathMaybe(h, id);
      case 9 -> h.pick(List.of("/health", "/", "/v1", "/v1/", "/v1/workflows", "/v1/executions", "//v1/executions/"
          + acmeExecution, "/v1/workflows/tiny/../../executions/" + acmeExecution, "/v1/./executions/" + acmeExecution,
          "/V1/EXECUTIONS/" + acmeExecution, "/health/../v1/executions/" + globexExecution, "*"));
      case 10 -> "/" + encodePathMaybe(h, h.garbage(30));
      default -> h.mutate("/v1/executions/" + acmeExecution);
    };
    if (h.chance(0.2)) {
      path += "?" + h.pick(List.of("include=trace", "include=trace&include=trace", "x=" + encodePath(h.garbage(20)),
          "token=secret", h.garbage(10)));
    }
    if (h.chance(0.05)) {
      path += "#" + h.garbage(5);
    }
    return path;
  }

  private static String encodePathMaybe(Hostile h, String segment) {
    return h.chance(0.8) ? encodePath(segment) : segment;
  }

  private static String encodePath(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20").replace("%25", "%");
  }

  private static List<Header> headers(Hostile h) {
    List<Header> headers = new ArrayList<>();
    switch (h.nextInt(8)) {
      case 0, 1, 2 -> headers.add(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN));
      case 3 -> headers.add(new Header("Authorization", "Bearer " + SecurityStack.GLOBEX_TOKEN));
      case 4 -> headers.add(new Header("Authorization", h.pick(List.of("bearer " + SecurityStack.ACME_TOKEN,
          "Bearer  " + SecurityStack.ACME_TOKEN + "  ", "Bearer " + h.mutate(SecurityStack.ACME_TOKEN), "Bearer",
          "Bearer ", "Basic YWNtZTp0b2s=", "Bearer " + "x".repeat(8000), h.garbage(30)))));
      case 5 -> {
        headers.add(new Header("Authorization", "Bearer " + SecurityStack.GLOBEX_TOKEN));
        headers.add(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN));
      }
      default -> { }
    }
    if (h.chance(0.5)) {
      headers.add(new Header("traceparent", h.traceparent()));
    }
    if (h.chance(0.4)) {
      headers.add(new Header("tracestate", h.tracestate()));
    }
    if (h.chance(0.1)) {
      headers.add(new Header("traceparent", h.traceparent()));
    }
    if (h.chance(0.2)) {
      headers.add(new Header("baggage", h.pick(List.of("servo.tenant.id=globex", "a=" + h.garbage(20), h.garbage(40)))));
    }
    if (h.chance(0.3)) {
      headers.add(new Header("Idempotency-Key", h.pick(List.of("key-1", "", " ", "k".repeat(256), h.garbage(20),
          "key\u0001" + "FORGED"))));
    }
    if (h.chance(0.3)) {
      headers.add(new Header("User-Agent", h.pick(List.of("curl/8", h.garbage(30), "ua\u0085" + "FORGED",
          "ua\u001b[2J", "ua\u0000"))));
    }
    if (h.chance(0.2)) {
      headers.add(new Header("Content-Type", h.pick(List.of("application/yaml", "application/json; charset=utf-16",
          "multipart/form-data; boundary=x", h.garbage(20)))));
    }
    if (h.chance(0.1)) {
      headers.add(new Header("X-Forwarded-For", h.garbage(20)));
    }
    if (h.chance(0.05)) {
      headers.add(new Header(h.pick(List.of("X-" + h.hex(8), "Expect", "Transfer-Encoding")),
          h.pick(List.of("100-continue", "identity", h.garbage(10)))));
    }
    return headers;
  }

  private byte[] body(Hostile h) {
    return switch (h.nextInt(5)) {
      case 0 -> h.mutate(example).getBytes(StandardCharsets.UTF_8);
      case 1 -> h.mutate(TINY).getBytes(StandardCharsets.UTF_8);
      case 2 -> h.mutate(exampleJson).getBytes(StandardCharsets.UTF_8);
      case 3 -> h.mutateBytes(TINY.getBytes(StandardCharsets.UTF_8));
      default -> h.garbage(200).getBytes(StandardCharsets.UTF_8);
    };
  }

  static JsonNode json(RawHttp.Response response) {
    try {
      return Json.mapper().readTree(response.body());
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
