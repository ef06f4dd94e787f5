package io.servo.worker.assets;

import io.servo.core.workflow.Asset;
import io.servo.settings.DurationText;
import io.servo.core.workflow.HttpAsset;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Sends an {@code http} asset's request with the worker's one {@link HttpClient}. The asset's
 * timeout bounds the whole exchange, body included; a non-2xx answer fails the asset. Where the
 * request may go is the {@link EgressGuard}'s decision: a refused request fails the asset. Messages
 * about a request that was sent name where it went ({@link #target}); others name the request as
 * written in the workflow file, never with its references resolved.
 */
final class HttpRunner implements AssetRunner {
  static final int BODY_TAIL_BYTES = 512;

  private final HttpClient client;
  private final Map<String, String> workerEnvironment;
  private final Consumer<HttpRequest.Builder> headers;
  private final EgressGuard guard;

  HttpRunner(HttpClient client, Map<String, String> workerEnvironment) {
    this(client, workerEnvironment, new EgressGuard());
  }

  HttpRunner(HttpClient client, Map<String, String> workerEnvironment, EgressGuard guard) {
    this(client, workerEnvironment, request -> {}, guard);
  }

  /** @param headers adds headers last, before the request is built (the trace context) */
  HttpRunner(HttpClient client, Map<String, String> workerEnvironment, Consumer<HttpRequest.Builder> headers,
      EgressGuard guard) {
    this.client = client;
    this.workerEnvironment = workerEnvironment;
    this.headers = headers;
    this.guard = guard;
  }

  @Override
  public AssetOutcome run(AssetContext context, Asset asset) throws InterruptedException {
    HttpAsset http = (HttpAsset) asset;
    String request = http.method() + " " + http.url();
    EnvResolution env = new EnvResolution(workerEnvironment, context.grants());
    HttpRequest.Builder builder;
    String body;
    String target;
    try {
      URI uri = new URI(env.resolve(http.url()));
      if (uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
        return AssetOutcome.failed(
            "url '" + http.url() + "' is not an http:// or https:// URL with a host");
      }
      target = target(http, uri);
      EgressGuard.Route route;
      try {
        route = guard.route(uri, http.url(), context.grants());
      } catch (UnknownHostException e) {
        return AssetOutcome.failed(request + " failed: "
            + (http.url().contains("${") ? "the URL's host" : uri.getHost()) + " does not resolve");
      }
      if (route.refusal() != null) {
        return AssetOutcome.failed(request + " refused: " + env.mask().redact(route.refusal()));
      }
      builder = HttpRequest.newBuilder(route.uri()).timeout(http.timeout());
      if (route.hostHeader() != null) {
        // Sent to the checked address; HTTP/1.1 so that no h2c upgrade names the address instead.
        builder.header("Host", route.hostHeader()).version(HttpClient.Version.HTTP_1_1);
      }
      for (Map.Entry<String, String> header : http.headers().entrySet()) {
        if (header.getKey().equalsIgnoreCase("Host")) {
          // The JDK allows Host only for the guard's pinning: the workflow's own stays refused.
          return AssetOutcome.failed("header '" + header.getKey() + "' cannot be sent: restricted header name");
        }
        try {
          builder.header(header.getKey(), env.resolve(header.getValue()));
        } catch (IllegalArgumentException e) {
          return AssetOutcome.failed(
              "header '" + header.getKey() + "' cannot be sent: " + env.mask().redact(e.getMessage()));
        }
      }
      body = env.resolve(http.body());
    } catch (IllegalStateException e) {
      return AssetOutcome.failed(e.getMessage());
    } catch (URISyntaxException e) {
      return AssetOutcome.failed("url '" + http.url() + "' is not a valid URL: "
          + env.mask().redact(e.getReason()));
    }
    builder.method(http.method(),
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.accept(builder);
    ResolvedValueMask mask = env.mask();

    TailBuffer responseBody = new TailBuffer(BODY_TAIL_BYTES + mask.maxValueBytes());
    long deadline = System.nanoTime() + http.timeout().toNanos();
    HttpResponse<Void> response;
    try {
      // send, not sendAsync: sendAsync hands every completed exchange to CompletableFuture's default
      // async executor, which on 1-2 CPUs (commonPool parallelism 1) starts a new thread per task.
      // send waits on this thread, and an interrupt cancels the exchange.
      response = client.send(builder.build(), info -> new BodyTail(responseBody, deadline));
    } catch (IOException e) {
      // send throws a new exception of the failure's kind, with the exchange's failure as its cause.
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (e instanceof HttpTimeoutException || cause instanceof TimeoutException) {
        return timedOut(http, target);
      }
      String message = cause.getMessage();
      return AssetOutcome.failed(target + " failed: " + cause.getClass().getSimpleName()
          + (message == null || message.isBlank() ? "" : ": " + mask.redact(message)));
    }
    int status = response.statusCode();
    String tail = responseBody.tail(mask, BODY_TAIL_BYTES).strip();
    String output = "HTTP " + status + (tail.isEmpty() ? "" : "\n" + tail);
    if (status >= 200 && status < 300) {
      return AssetOutcome.succeeded(output);
    }
    String reason = ReasonPhrase.of(status);
    return AssetOutcome.failed(target + " failed: HTTP " + status + (reason.isEmpty() ? "" : " " + reason), output);
  }

  /**
   * Where a sent request went, as its messages name it: the method and the origin (scheme, host and
   * port) of the resolved URL, then the URL as the workflow wrote it when that says more, e.g.
   * {@code POST https://hooks.example.com (from ${env:NOTIFY_URL})}. Never the resolved user info,
   * path or query: values from {@code ${env:…}} there may be secrets. The host is shown even when a
   * reference gave it: outside development only hosts the operator granted by name in {@code
   * SERVO_TENANT_<T>_HTTP_HOSTS} are reached, so a host is configuration, not a secret.
   */
  private static String target(HttpAsset http, URI resolved) {
    String origin = resolved.getScheme().toLowerCase(Locale.ROOT) + "://" + resolved.getHost()
        + (resolved.getPort() < 0 ? "" : ":" + resolved.getPort());
    String written = http.url();
    boolean saysMore = !written.equals(origin) && !written.equals(origin + "/");
    return http.method() + " " + origin + (saysMore ? " (from " + written + ")" : "");
  }

  /**
   * Keeps the tail of the response body and fails the exchange when the asset's deadline passes
   * before the body ended: the request's own timeout stops counting once the headers are in.
   */
  private static final class BodyTail implements HttpResponse.BodySubscriber<Void> {
    private final TailBuffer tail;
    private final long deadline;
    private final CompletableFuture<Void> body = new CompletableFuture<>();

    BodyTail(TailBuffer tail, long deadline) {
      this.tail = tail;
      this.deadline = deadline;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      // orTimeout's timer is CompletableFuture's one delay thread, not a thread per call.
      body.orTimeout(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
          .whenComplete((ignored, failure) -> {
            if (failure != null) {
              subscription.cancel();
            }
          });
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      for (ByteBuffer buffer : buffers) {
        tail.write(buffer);
      }
    }

    @Override
    public void onError(Throwable failure) {
      body.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
      body.complete(null);
    }

    @Override
    public CompletionStage<Void> getBody() {
      return body;
    }
  }

  private static AssetOutcome timedOut(HttpAsset http, String target) {
    return AssetOutcome.timedOut(
        target + " timed out after " + DurationText.format(http.timeout()), null);
  }
}
