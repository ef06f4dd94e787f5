package io.servo.worker.assets;

import io.servo.core.workflow.Asset;
import io.servo.core.workflow.Durations;
import io.servo.core.workflow.HttpAsset;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends an {@code http} asset's request with the worker's one {@link HttpClient}. The asset's
 * timeout bounds the whole exchange, body included; a non-2xx answer fails the asset. Messages name
 * the request as written in the workflow file, never with its references resolved.
 */
final class HttpRunner implements AssetRunner {
  static final int BODY_TAIL_BYTES = 512;

  private final HttpClient client;
  private final Map<String, String> workerEnvironment;

  HttpRunner(HttpClient client, Map<String, String> workerEnvironment) {
    this.client = client;
    this.workerEnvironment = workerEnvironment;
  }

  @Override
  public AssetOutcome run(Asset asset) throws InterruptedException {
    HttpAsset http = (HttpAsset) asset;
    String request = http.method() + " " + http.url();
    EnvResolution env = new EnvResolution(workerEnvironment);
    HttpRequest.Builder builder;
    String body;
    try {
      URI uri = new URI(env.resolve(http.url()));
      if (uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
        return AssetOutcome.failed(
            "url '" + http.url() + "' is not an http:// or https:// URL with a host");
      }
      builder = HttpRequest.newBuilder(uri).timeout(http.timeout());
      for (Map.Entry<String, String> header : http.headers().entrySet()) {
        try {
          builder.header(header.getKey(), env.resolve(header.getValue()));
        } catch (IllegalArgumentException e) {
          return AssetOutcome.failed(
              "header '" + header.getKey() + "' cannot be sent: " + env.redactor().redact(e.getMessage()));
        }
      }
      body = env.resolve(http.body());
    } catch (IllegalStateException e) {
      return AssetOutcome.failed(e.getMessage());
    } catch (URISyntaxException e) {
      return AssetOutcome.failed("url '" + http.url() + "' is not a valid URL: "
          + env.redactor().redact(e.getReason()));
    }
    builder.method(http.method(),
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    Redactor redactor = env.redactor();

    TailBuffer responseBody = new TailBuffer(BODY_TAIL_BYTES + redactor.maxValueBytes());
    CompletableFuture<HttpResponse<Void>> exchange =
        client.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofByteArrayConsumer(
            chunk -> chunk.ifPresent(responseBody::write)));
    HttpResponse<Void> response;
    try {
      response = exchange.get(http.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      return timedOut(http, request);
    } catch (InterruptedException e) {
      exchange.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof HttpTimeoutException) {
        return timedOut(http, request);
      }
      String message = cause.getMessage();
      return AssetOutcome.failed(request + " failed: " + cause.getClass().getSimpleName()
          + (message == null || message.isBlank() ? "" : ": " + redactor.redact(message)));
    }
    int status = response.statusCode();
    String tail = responseBody.tail(redactor, BODY_TAIL_BYTES).strip();
    String output = "HTTP " + status + (tail.isEmpty() ? "" : "\n" + tail);
    if (status >= 200 && status < 300) {
      return AssetOutcome.succeeded(output);
    }
    return AssetOutcome.failed("HTTP " + status, output);
  }

  private static AssetOutcome timedOut(HttpAsset http, String request) {
    return AssetOutcome.timedOut(
        request + " timed out after " + Durations.format(http.timeout()), null);
  }
}
