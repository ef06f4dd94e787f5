package io.servo.orchestrator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A real HTTP client of the orchestrator API, for tests. */
public final class ApiClient {
  /** A response with its JSON body parsed. */
  public record Response(int status, JsonNode json, HttpResponse<String> raw) {
    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private final URI base;

  public ApiClient(int port) {
    this.base = URI.create("http://127.0.0.1:" + port);
  }

  public Response put(String path, String token, String body) {
    return send(request(path, token).PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
  }

  public Response put(String path, String token, byte[] body) {
    return send(request(path, token).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  public Response post(String path, String token, String idempotencyKey) {
    HttpRequest.Builder b = request(path, token).POST(HttpRequest.BodyPublishers.noBody());
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return send(b);
  }

  /** A request with extra headers (for example {@code traceparent}). */
  public Response send(String method, String path, String token, java.util.Map<String, String> headers) {
    HttpRequest.Builder b = request(path, token).method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(b::header);
    return send(b);
  }

  public Response get(String path, String token) {
    return send(request(path, token).GET());
  }

  public Response method(String method, String path, String token) {
    return send(request(path, token).method(method, HttpRequest.BodyPublishers.noBody()));
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private static Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = r.body().isEmpty() ? null : Json.mapper().readTree(r.body());
      return new Response(r.statusCode(), json, r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
