package io.servo.cli.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.cli.ServoCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class WebhookSinkTest {
  private static final String TOKEN = "s3cret-hook-token";
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<WebhookSink.Call> calls = new CopyOnWriteArrayList<>();

  private int post(WebhookSink sink, String authorization, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + sink.port() + "/hooks/servo"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void answers204AndPrintsTheCallButNeverTheAuthorizationValue() throws Exception {
    try (WebhookSink sink = WebhookSink.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), TOKEN, calls::add)) {
      assertThat(post(sink, "Bearer " + TOKEN, "{\"text\": \"done\"}\nwebhook-sink: POST /forged -> 204")).isEqualTo(204);
      assertThat(post(sink, "Bearer wrong", "{}")).isEqualTo(401);
      assertThat(post(sink, null, "{}")).isEqualTo(401);
    }

    List<String> lines = calls.stream().map(WebhookSinkCommand::describe).toList();
    assertThat(lines.get(0)).isEqualTo("webhook-sink: POST /hooks/servo -> 204 · authorization matches the token"
        + " · application/json · {\"text\": \"done\"}\\u000awebhook-sink: POST /forged -> 204");
    assertThat(lines.get(1)).startsWith("webhook-sink: POST /hooks/servo -> 401 · authorization does not match the token");
    assertThat(lines.get(2)).startsWith("webhook-sink: POST /hooks/servo -> 401 · authorization none");
    assertThat(String.join("\n", lines)).doesNotContain(TOKEN, "wrong");
  }

  @Test
  void withoutATokenEveryPostIsAccepted() throws Exception {
    try (WebhookSink sink = WebhookSink.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null, calls::add)) {
      assertThat(post(sink, "Bearer anything", "")).isEqualTo(204);
    }
    assertThat(WebhookSinkCommand.describe(calls.get(0)))
        .isEqualTo("webhook-sink: POST /hooks/servo -> 204 · authorization present · application/json · empty body");
  }

  @Test
  void aPortInUseSaysWhatToDoAndExits3() throws Exception {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      int exit = ServoCli.execute("webhook-sink", "--port", String.valueOf(taken.getLocalPort()));

      assertThat(exit).isEqualTo(ServoCli.CANNOT_START);
      assertThat(captured.toString(StandardCharsets.UTF_8))
          .contains("cannot listen on port " + taken.getLocalPort(), "pass another --port");
    } finally {
      System.setErr(err);
    }
  }

  @Test
  void aPortOutOfRangeIsAUsageError() {
    assertThat(ServoCli.execute("webhook-sink", "--port", "70000")).isEqualTo(ServoCli.USAGE);
  }
}
