package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.servo.core.execution.AssetStatus;
import io.servo.core.workflow.HttpAsset;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpRunnerTest {
  private static final String TOKEN = "bearer-token-0123456789";
  private static final String PATH_SECRET = "pathsecret42";

  private HttpServer callee;
  private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
  private HttpRunner runner;
  private String base;
  /** Holds /stall's body, whose headers and first bytes are sent at once, until the test ends. */
  private final CountDownLatch stallReleased = new CountDownLatch(1);
  private final CountDownLatch stalling = new CountDownLatch(1);
  private final ExecutorService calleeThreads = Executors.newCachedThreadPool();

  @BeforeEach
  void setUp() throws IOException {
    callee = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    callee.createContext("/stall", exchange -> {
      exchange.sendResponseHeaders(200, 0);
      exchange.getResponseBody().write("first bytes".getBytes(StandardCharsets.UTF_8));
      exchange.getResponseBody().flush();
      stalling.countDown();
      try {
        stallReleased.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    callee.setExecutor(calleeThreads);
    callee.createContext("/", exchange -> {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + auth + " " + body);
      int status = exchange.getRequestURI().getPath().startsWith("/fail") ? 500 : 200;
      if (exchange.getRequestURI().getPath().startsWith("/slow")) {
        try {
          Thread.sleep(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      // Echo the token back: the runner must redact it from the recorded body tail.
      byte[] answer = ("ok, you sent " + auth).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    callee.start();
    base = "http://127.0.0.1:" + callee.getAddress().getPort();
    runner = new HttpRunner(HttpClient.newHttpClient(),
        Map.of("TOKEN", TOKEN, "PATH_SECRET", PATH_SECRET, "BASE", base));
  }

  @AfterEach
  void tearDown() {
    stallReleased.countDown();
    callee.stop(0);
    calleeThreads.shutdownNow();
  }

  @Test
  void sendsResolvedRequestAndRedactsTheResponse() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(10), "POST",
        "${env:BASE}/hook/${env:PATH_SECRET}", Map.of("Authorization", "Bearer ${env:TOKEN}"),
        "{\"k\":\"v\"}");

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(seen).containsExactly(
        "POST /hook/" + PATH_SECRET + " Bearer " + TOKEN + " {\"k\":\"v\"}");
    assertThat(outcome.output()).isEqualTo("HTTP 200\nok, you sent Bearer [REDACTED]");
  }

  @Test
  void non2xxFailsTheAsset() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(10), "GET",
        base + "/fail", Map.of(), null);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).isEqualTo("GET " + base + " (from " + base + "/fail) failed: HTTP 500 Internal Server Error");
    assertThat(outcome.output()).startsWith("HTTP 500");
  }

  @Test
  void timeoutIsReportedAsTimedOut() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofMillis(500), "GET",
        base + "/slow", Map.of(), null);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.timedOut()).isTrue();
    assertThat(outcome.error()).isEqualTo("GET " + base + " (from " + base + "/slow) timed out after 500ms");
  }

  @Test
  void theTimeoutAlsoCoversTheBody() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofMillis(500), "GET",
        base + "/stall", Map.of(), null);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.timedOut()).isTrue();
    assertThat(outcome.error()).isEqualTo("GET " + base + " (from " + base + "/stall) timed out after 500ms");
  }

  @Test
  void anInterruptEndsTheExchange() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofMinutes(5), "GET",
        base + "/stall", Map.of(), null);
    AtomicReference<Object> ended = new AtomicReference<>();
    Thread running = new Thread(() -> {
      try {
        ended.set(runner.run(TestContexts.permissive(), asset));
      } catch (InterruptedException e) {
        ended.set(e);
      }
    });
    running.start();
    stalling.await();

    running.interrupt();
    running.join(30_000); // a bound on a hang, not a timing assertion

    assertThat(running.isAlive()).isFalse();
    assertThat(ended.get()).isInstanceOf(InterruptedException.class);
  }

  @Test
  void connectionFailureNamesWhereItWentAndTheUrlAsWritten() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(5), "GET",
        "http://127.0.0.1:1/${env:PATH_SECRET}", Map.of(), null);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).startsWith("GET http://127.0.0.1:1 (from http://127.0.0.1:1/${env:PATH_SECRET}) failed: ")
        .doesNotContain(PATH_SECRET);
  }
}
