package io.servo.worker.tracing;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
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
 * that was not sampled it goes straight to {@code plain} with the current context's headers
 * injected, so the callee still sees the trace id and the not-sampled decision, and no span,
 * attribute or metric is built for nobody to see (Servo's rule everywhere else, {@link
 * TraceSampling}).
 */
final class SampledOnlyHttpClient extends HttpClient {
  private static final TextMapSetter<HttpRequest.Builder> HEADERS = HttpRequest.Builder::setHeader;

  private final HttpClient plain;
  private final HttpClient traced;
  private final TextMapPropagator propagator;

  SampledOnlyHttpClient(HttpClient plain, HttpClient traced, TextMapPropagator propagator) {
    this.plain = plain;
    this.traced = traced;
    this.propagator = propagator;
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Context context = Context.current();
    return TraceSampling.isUnsampledTrace(context)
        ? plain.send(withHeaders(request, context), handler)
        : traced.send(request, handler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler) {
    Context context = Context.current();
    return TraceSampling.isUnsampledTrace(context)
        ? plain.sendAsync(withHeaders(request, context), handler)
        : traced.sendAsync(request, handler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    Context context = Context.current();
    return TraceSampling.isUnsampledTrace(context)
        ? plain.sendAsync(withHeaders(request, context), handler, pushPromiseHandler)
        : traced.sendAsync(request, handler, pushPromiseHandler);
  }

  private HttpRequest withHeaders(HttpRequest request, Context context) {
    HttpRequest.Builder copy = HttpRequest.newBuilder(request, (name, value) -> true);
    propagator.inject(context, copy, HEADERS);
    return copy.build();
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
