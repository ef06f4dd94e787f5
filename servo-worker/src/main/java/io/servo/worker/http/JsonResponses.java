package io.servo.worker.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import io.servo.core.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/** Writes a JSON answer and ends the exchange. */
final class JsonResponses {
  private JsonResponses() {}

  static void send(HttpExchange exchange, int status, Object body) throws IOException {
    send(exchange, status, body, Map.of());
  }

  static void send(HttpExchange exchange, int status, Object body, Map<String, String> headers)
      throws IOException {
    byte[] bytes;
    try {
      bytes = Json.mapper().writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IOException("cannot write the response as JSON", e);
    }
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
    exchange.close();
  }

  static void error(HttpExchange exchange, int status, String message) throws IOException {
    send(exchange, status, new ErrorView(message));
  }

  static void error(HttpExchange exchange, int status, String message, Map<String, String> headers)
      throws IOException {
    send(exchange, status, new ErrorView(message), headers);
  }
}
