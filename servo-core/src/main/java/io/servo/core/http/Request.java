package io.servo.core.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;

/** A request matched to a {@link Route}: the exchange, and the values of the template's variables. */
public final class Request {
  /**
   * How much of an oversized body is read and dropped before answering 413, so that a client still
   * sending sees the answer rather than a reset connection. A body declared longer than the limit
   * plus this is not read at all: the connection is closed either way.
   */
  static final long DRAIN_LIMIT_BYTES = 16L * 1024 * 1024;

  private final HttpExchange exchange;
  private final Map<String, String> pathVariables;

  Request(HttpExchange exchange, Map<String, String> pathVariables) {
    this.exchange = exchange;
    this.pathVariables = pathVariables;
  }

  public HttpExchange exchange() {
    return exchange;
  }

  /** The first value of a request header, or null. */
  public String header(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  /** The raw (percent-encoded) path segment the template's {@code {name}} matched. */
  public String pathVariable(String name) {
    String value = pathVariables.get(name);
    if (value == null) {
      throw new IllegalArgumentException("the route has no path variable {" + name + "}");
    }
    return value;
  }

  /** The raw query string, or null. */
  public String query() {
    return exchange.getRequestURI().getRawQuery();
  }

  /**
   * The request body, of at most {@code limit} bytes; never buffers more than one byte beyond it.
   *
   * @param tooLarge the message of the 413 answered when the body is longer: what limit, and what to do
   * @throws HttpError 413 (with {@code Connection: close}) when the body is longer than {@code limit}
   */
  public byte[] body(int limit, String tooLarge) throws IOException {
    HttpError refused = new HttpError(413, tooLarge, Map.of("Connection", "close"));
    long declared = declaredLength();
    try (InputStream in = exchange.getRequestBody()) {
      if (declared > limit + DRAIN_LIMIT_BYTES) {
        throw refused;
      }
      byte[] buffer = new byte[(int) Math.min(limit + 1L, declared >= 0 ? declared + 1 : 64 * 1024)];
      int size = 0;
      while (size <= limit) {
        if (size == buffer.length) {
          buffer = Arrays.copyOf(buffer, (int) Math.min(limit + 1L, buffer.length * 2L));
        }
        int n = in.read(buffer, size, buffer.length - size);
        if (n < 0) {
          return Arrays.copyOf(buffer, size);
        }
        size += n;
      }
      drain(in);
      throw refused;
    }
  }

  private long declaredLength() {
    String declared = header("Content-Length");
    if (declared == null) {
      return -1;
    }
    try {
      return Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      return -1; // the JDK server refuses a malformed length itself; read and count instead
    }
  }

  private static void drain(InputStream in) throws IOException {
    byte[] sink = new byte[64 * 1024];
    long left = DRAIN_LIMIT_BYTES;
    int n;
    while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
      left -= n;
    }
  }
}
