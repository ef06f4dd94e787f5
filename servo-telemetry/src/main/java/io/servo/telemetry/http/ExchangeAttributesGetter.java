package io.servo.telemetry.http;

import com.sun.net.httpserver.HttpsExchange;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Reads the HTTP semantic-convention attributes of a request the JDK's {@code HttpServer} serves, for
 * the SERVER spans of the orchestrator's API and the worker's {@code /execute}.
 */
public final class ExchangeAttributesGetter<R extends ServedExchange>
    implements HttpServerAttributesGetter<R, Integer> {
  private static final ExchangeAttributesGetter<ServedExchange> INSTANCE = new ExchangeAttributesGetter<>();

  private ExchangeAttributesGetter() {}

  /** The getter (stateless) for requests of type {@code R}. */
  @SuppressWarnings("unchecked")
  public static <R extends ServedExchange> ExchangeAttributesGetter<R> create() {
    return (ExchangeAttributesGetter<R>) INSTANCE;
  }

  @Override
  public String getHttpRequestMethod(R request) {
    return request.exchange().getRequestMethod();
  }

  @Override
  public List<String> getHttpRequestHeader(R request, String name) {
    List<String> values = request.exchange().getRequestHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public Integer getHttpResponseStatusCode(R request, Integer status, Throwable error) {
    return status;
  }

  @Override
  public List<String> getHttpResponseHeader(R request, Integer status, String name) {
    List<String> values = request.exchange().getResponseHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public String getUrlScheme(R request) {
    return request.exchange() instanceof HttpsExchange ? "https" : "http";
  }

  @Override
  public String getUrlPath(R request) {
    return request.exchange().getRequestURI().getRawPath();
  }

  @Override
  public String getUrlQuery(R request) {
    return request.exchange().getRequestURI().getRawQuery();
  }

  @Override
  public String getHttpRoute(R request) {
    return request.route();
  }

  @Override
  public String getNetworkProtocolName(R request, Integer status) {
    return "http";
  }

  @Override
  public String getNetworkProtocolVersion(R request, Integer status) {
    String protocol = request.exchange().getProtocol(); // "HTTP/1.1"
    int slash = protocol == null ? -1 : protocol.indexOf('/');
    return slash < 0 ? null : protocol.substring(slash + 1);
  }

  @Override
  public InetSocketAddress getNetworkPeerInetSocketAddress(R request, Integer status) {
    return request.exchange().getRemoteAddress();
  }

  @Override
  public InetSocketAddress getNetworkLocalInetSocketAddress(R request, Integer status) {
    return request.exchange().getLocalAddress();
  }
}
