package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.servo.core.execution.AssetStatus;
import io.servo.core.workflow.CommandAsset;
import io.servo.core.workflow.HttpAsset;
import io.servo.core.workflow.SqlAsset;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a runner reports (stored, returned by the API, printed by the CLI, put on the asset's span)
 * holds no secret it can know of: not a part of a resolved URL (its password, a query token) that a
 * server quotes back, not a secret-shaped value a server or program prints, not a literal of the
 * SQL statement an error message quotes.
 */
class RunnerSecretsTest {
  private static final String URL_PASSWORD = "urlpw-Zr8Kq2Vn6T";
  private static final String URL_TOKEN = "urltok-5Hs3Jd8Wq1";
  private static final String BODY_TOKEN = "bodytok-7Yb2Nc4Xm6";

  @TempDir Path dir;
  private HttpServer server;
  private AssetRunners runners;

  @BeforeEach
  void setUp() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      // Quotes the request back, as many servers do in errors, and adds secrets of its own.
      byte[] body = ("rejected GET " + exchange.getRequestURI() + " token " + URL_TOKEN + "; session api_key="
          + BODY_TOKEN + "; retry with Authorization: Bearer " + BODY_TOKEN).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    String url = "http://svc:" + URL_PASSWORD + "@127.0.0.1:" + server.getAddress().getPort() + "/hook?token=" + URL_TOKEN;
    runners = AssetRunners.create(Map.of("HOOK_URL", url, "PATH", System.getenv("PATH")), dir,
        "jdbc:sqlite:" + dir.resolve("warehouse.db"), HttpClient.newHttpClient());
  }

  @AfterEach
  void tearDown() {
    runners.close();
    server.stop(0);
  }

  @Test
  void partsOfAResolvedUrlAndSecretShapedValuesInAResponseAreRedacted() throws Exception {
    AssetOutcome outcome = runners.run(TestContexts.permissive(), new HttpAsset("hook", List.of(), Duration.ofSeconds(10), "GET",
        "${env:HOOK_URL}", Map.of(), null));

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.output()).startsWith("HTTP 500\nrejected GET /hook?token=[REDACTED] token [REDACTED];")
        .doesNotContain(URL_TOKEN, URL_PASSWORD, BODY_TOKEN);
  }

  @Test
  void secretShapedValuesAProgramPrintsAreRedacted() throws Exception {
    AssetOutcome outcome = runners.run(TestContexts.permissive(), new CommandAsset("cmd", List.of(), Duration.ofSeconds(10),
        List.of("sh", "-c", "echo 'Authorization: Bearer " + BODY_TOKEN + "'; echo password=" + BODY_TOKEN + " >&2; exit 3"),
        Map.of()));

    assertThat(outcome.error()).startsWith("exit code 3").doesNotContain(BODY_TOKEN);
    assertThat(outcome.output()).doesNotContain(BODY_TOKEN);
  }

  @Test
  void anErrorMessageDoesNotQuoteTheStatementsLiterals() throws Exception {
    AssetOutcome outcome = runners.run(TestContexts.permissive(), new SqlAsset("bad", List.of(), Duration.ofSeconds(10),
        "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES ('sk_live_first' 'sk_live_second')"));

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).startsWith("statement 2 of 2 failed: ").contains("syntax error")
        .doesNotContain("sk_live_first", "sk_live_second");
  }
}
