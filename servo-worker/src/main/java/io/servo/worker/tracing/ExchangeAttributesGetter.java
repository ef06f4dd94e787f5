package io.servo.worker.tracing;

import com.sun.net.httpserver.HttpsExchange;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesGetter;
import java.net.InetSocketAddress;
import java.util.List;

/** Reads the HTTP semantic-convention attributes of a delivery to {@code POST /execute}. */
final class ExchangeAttributesGetter implements HttpServerAttributesGetter<DeliveryRequest, Integer> {
  static final ExchangeAttributesGetter INSTANCE = new ExchangeAttributesGetter();

  private ExchangeAttributesGetter() {}

  @Override
  public String getHttpRequestMethod(DeliveryRequest request) {
    return request.exchange().getRequestMethod();
  }

  @Override
  public List<String> getHttpRequestHeader(DeliveryRequest request, String name) {
    List<String> values = request.exchange().getRequestHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public Integer getHttpResponseStatusCode(DeliveryRequest request, Integer status, Throwable error) {
    return status;
  }

  @Override
  public List<String> getHttpResponseHeader(DeliveryRequest request, Integer status, String name) {
    List<String> values = request.exchange().getResponseHeaders().get(name);
    return values == null ? List.of() : values;
  }

  @Override
  public String getUrlScheme(DeliveryRequest request) {
    return request.exchange() instanceof HttpsExchange ? "https" : "http";
  }

  @Override
  public String getUrlPath(DeliveryRequest request) {
    return request.exchange().getRequestURI().getRawPath();
  }

  @Override
  public String getUrlQuery(DeliveryRequest request) {
    return request.exchange().getRequestURI().getRawQuery();
  }

  @Override
  public String getHttpRoute(DeliveryRequest request) {
    return WorkerSpans.EXECUTE_ROUTE;
  }

  @Override
  public String getNetworkProtocolName(DeliveryRequest request, Integer status) {
    return "http";
  }

  @Override
  public String getNetworkProtocolVersion(DeliveryRequest request, Integer status) {
    String protocol = request.exchange().getProtocol(); // "HTTP/1.1"
    int slash = protocol == null ? -1 : protocol.indexOf('/');
    return slash < 0 ? null : protocol.substring(slash + 1);
  }

  @Override
  public InetSocketAddress getNetworkPeerInetSocketAddress(DeliveryRequest request, Integer status) {
    return request.exchange().getRemoteAddress();
  }

  @Override
  public InetSocketAddress getNetworkLocalInetSocketAddress(DeliveryRequest request, Integer status) {
    return request.exchange().getLocalAddress();
  }
}
