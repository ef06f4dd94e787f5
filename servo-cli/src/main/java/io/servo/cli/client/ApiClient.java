package io.servo.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The orchestrator API as the {@code deploy}, {@code run} and {@code status} commands use it. */
public final class ApiClient {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI server;
  private final String token;

  public ApiClient(URI server, String token) {
    this.server = server;
    this.token = token;
  }

  /** An answer of the API: its status and JSON body. */
  public record Answer(int status, JsonNode body) {
    public boolean ok() {
      return status / 100 == 2;
    }

    /** The API's own error text, with the listed problems, for printing, its hints in the CLI's terms. */
    public String errorText() {
      StringBuilder out = new StringBuilder("HTTP " + status);
      if (body != null && body.hasNonNull("error")) {
        out.append(": ").append(inCliTerms(body.get("error").asText()));
      }
      if (body != null && body.has("problems")) {
        body.get("problems").forEach(p -> out.append("\n  - ").append(p.asText()));
      }
      return out.toString();
    }
  }

  /**
   * The API's hints name HTTP requests; a CLI user types commands and flags. Each pattern is an
   * exact hint the orchestrator gives (ClientCommandsTest shows them through a real orchestrator).
   */
  private static final java.util.List<java.util.Map.Entry<java.util.regex.Pattern, String>> CLI_TERMS = java.util.List.of(
      java.util.Map.entry(java.util.regex.Pattern.compile("deploy it first with PUT /v1/workflows/\\S+"),
          "deploy it first with ./servo deploy FILE"),
      java.util.Map.entry(java.util.regex.Pattern.compile(
              "send 'Authorization: Bearer <token>' with your tenant's token from SERVO_API_TOKENS"),
          "pass your tenant's token with --token TOKEN (or set SERVO_API_TOKEN)"),
      java.util.Map.entry(java.util.regex.Pattern.compile("the id returned by POST /v1/workflows/\\{name}/executions"),
          "the id that ./servo run printed"));

  static String inCliTerms(String apiText) {
    String text = apiText;
    for (java.util.Map.Entry<java.util.regex.Pattern, String> term : CLI_TERMS) {
      text = term.getKey().matcher(text).replaceAll(java.util.regex.Matcher.quoteReplacement(term.getValue()));
    }
    return text;
  }

  public Answer put(String path, byte[] body, String contentType) {
    return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  public Answer post(String path, String idempotencyKey) {
    HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.noBody());
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return send(b);
  }

  public Answer get(String path) {
    return send(request(path).GET());
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(30));
    if (token != null && !token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  /**
   * How long a command waits for an orchestrator on this machine that refuses connections: right
   * after {@code ./servo dev &} the next command would otherwise fail while the JVM starts.
   * A remote server is not waited for.
   */
  static final Duration LOCAL_START_WAIT = Duration.ofSeconds(30);

  private HttpResponse<byte[]> exchange(HttpRequest request) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + LOCAL_START_WAIT.toNanos();
    boolean told = false;
    while (true) {
      try {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      } catch (ConnectException e) {
        if (!isLoopback() || System.nanoTime() - deadline > 0) {
          throw e;
        }
        if (!told) {
          System.err.println("servo: waiting for the orchestrator at " + server + " to start...");
          told = true;
        }
        Thread.sleep(200);
      }
    }
  }

  private boolean isLoopback() {
    String host = server.getHost();
    return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
  }

  private Answer send(HttpRequest.Builder builder) {
    try {
      HttpResponse<byte[]> r = exchange(builder.build());
      JsonNode body = null;
      if (r.body().length > 0) {
        try {
          body = Json.mapper().readTree(r.body());
        } catch (IOException e) {
          body = Json.mapper().createObjectNode().put("error", new String(r.body(), StandardCharsets.UTF_8));
        }
      }
      return new Answer(r.statusCode(), body);
    } catch (ConnectException e) {
      throw new CliException("cannot reach the orchestrator at " + server
          + (isLoopback() ? " (waited " + LOCAL_START_WAIT.toSeconds() + " s)" : "") + ": is it running? Start one with `./servo dev`, or pass --server URL");
    } catch (IOException e) {
      throw new CliException("request to " + server + " failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
