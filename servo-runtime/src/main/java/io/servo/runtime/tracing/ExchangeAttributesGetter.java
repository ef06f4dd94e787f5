package io.servo.runtime.tracing;

import com.sun.net.httpserver.HttpsExchange;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import java.net.InetSocketAddress;
import java.util.List;

/** Reads the HTTP semantic-convention attributes of a JDK {@code HttpExchange}. */
final class ExchangeAttributesGetter implements HttpServerAttributesGetter<ExchangeRequest, Integer> {
  static final ExchangeAttributesGetter INSTANCE = new ExchangeAttributesGetter();

  private ExchangeAttributesGetter() {}

  @Override
  public String getHttpRequestMethod(ExchangeRequest request) {
    return request.exchange().getRequestMethod();
  }

  @Override
  public List<String> getHttpRequestHeader(ExchangeRequest request, String name) {
    List<String> values = request.exchange().getRequestHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public Integer getHttpResponseStatusCode(ExchangeRequest request, Integer status, Throwable error) {
    return status;
  }

  @Override
  public List<String> getHttpResponseHeader(ExchangeRequest request, Integer status, String name) {
    List<String> values = request.exchange().getResponseHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public String getUrlScheme(ExchangeRequest request) {
    return request.exchange() instanceof HttpsExchange ? "https" : "http";
  }

  @Override
  public String getUrlPath(ExchangeRequest request) {
    return request.exchange().getRequestURI().getRawPath();
  }

  @Override
  public String getUrlQuery(ExchangeRequest request) {
    return request.exchange().getRequestURI().getRawQuery();
  }

  @Override
  public String getHttpRoute(ExchangeRequest request) {
    return request.route();
  }

  @Override
  public String getNetworkProtocolName(ExchangeRequest request, Integer status) {
    return "http";
  }

  @Override
  public String getNetworkProtocolVersion(ExchangeRequest request, Integer status) {
    String protocol = request.exchange().getProtocol(); // "HTTP/1.1"
    int slash = protocol == null ? -1 : protocol.indexOf('/');
    return slash < 0 ? null : protocol.substring(slash + 1);
  }

  @Override
  public InetSocketAddress getNetworkPeerInetSocketAddress(ExchangeRequest request, Integer status) {
    return request.exchange().getRemoteAddress();
  }

  @Override
  public InetSocketAddress getNetworkLocalInetSocketAddress(ExchangeRequest request, Integer status) {
    return request.exchange().getLocalAddress();
  }
}
