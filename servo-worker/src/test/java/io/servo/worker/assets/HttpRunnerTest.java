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

  @BeforeEach
  void setUp() throws IOException {
    callee = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
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
    callee.stop(0);
  }

  @Test
  void sendsResolvedRequestAndRedactsTheResponse() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(10), "POST",
        "${env:BASE}/hook/${env:PATH_SECRET}", Map.of("Authorization", "Bearer ${env:TOKEN}"),
        "{\"k\":\"v\"}");

    AssetOutcome outcome = runner.run(asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(seen).containsExactly(
        "POST /hook/" + PATH_SECRET + " Bearer " + TOKEN + " {\"k\":\"v\"}");
    assertThat(outcome.output()).isEqualTo("HTTP 200\nok, you sent Bearer [REDACTED]");
  }

  @Test
  void non2xxFailsTheAsset() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(10), "GET",
        base + "/fail", Map.of(), null);

    AssetOutcome outcome = runner.run(asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).isEqualTo("HTTP 500");
    assertThat(outcome.output()).startsWith("HTTP 500");
  }

  @Test
  void timeoutIsReportedAsTimedOut() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofMillis(500), "GET",
        base + "/slow", Map.of(), null);

    AssetOutcome outcome = runner.run(asset);

    assertThat(outcome.timedOut()).isTrue();
    assertThat(outcome.error()).isEqualTo("GET " + base + "/slow timed out after 500ms");
  }

  @Test
  void connectionFailureNamesTheUrlAsWritten() throws Exception {
    var asset = new HttpAsset("hook", List.of(), Duration.ofSeconds(5), "GET",
        "http://127.0.0.1:1/${env:PATH_SECRET}", Map.of(), null);

    AssetOutcome outcome = runner.run(asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).startsWith("GET http://127.0.0.1:1/${env:PATH_SECRET} failed: ")
        .doesNotContain(PATH_SECRET);
  }
}
