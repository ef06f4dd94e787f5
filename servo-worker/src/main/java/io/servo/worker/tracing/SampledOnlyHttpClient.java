package io.servo.worker.tracing;

import io.opentelemetry.context.Context;
import io.servo.telemetry.TraceSampling;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The {@code http} assets' client: in a sampled trace (or with no trace at all) a request goes
 * through the HTTP client instrumentation ({@code traced}) and gets its CLIENT span; in a trace
 * that was not sampled it goes straight to {@code plain}, and no span, attribute or metric is built
 * for nobody to see (Servo's rule everywhere else, {@link TraceSampling}). There the request already
 * carries the current context's headers, so the callee still sees the trace id and the not-sampled
 * decision: {@link RunnerSpans#httpHeaders} put them in while the request was being built, which
 * spares a copy of every request (0.35 KB per execution of servo-bench's workflow).
 */
final class SampledOnlyHttpClient extends HttpClient {

  private final HttpClient plain;
  private final HttpClient traced;

  SampledOnlyHttpClient(HttpClient plain, HttpClient traced) {
    this.plain = plain;
    this.traced = traced;
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return TraceSampling.isUnsampledTrace(Context.current())
        ? plain.send(request, handler)
        : traced.send(request, handler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler) {
    return TraceSampling.isUnsampledTrace(Context.current())
        ? plain.sendAsync(request, handler)
        : traced.sendAsync(request, handler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    return TraceSampling.isUnsampledTrace(Context.current())
        ? plain.sendAsync(request, handler, pushPromiseHandler)
        : traced.sendAsync(request, handler, pushPromiseHandler);
  }

  // The client's settings are plain's; traced wraps the same client.

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return plain.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return plain.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return plain.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return plain.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return plain.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return plain.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return plain.authenticator();
  }

  @Override
  public Version version() {
    return plain.version();
  }

  @Override
  public Optional<Executor> executor() {
    return plain.executor();
  }
}
