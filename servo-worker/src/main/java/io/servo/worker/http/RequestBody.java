package io.servo.worker.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reads a request body of at most a given size, never buffering more than one byte beyond it. */
final class RequestBody {
  private RequestBody() {}

  /** The body, or null when it is longer than {@code limit} bytes. */
  static byte[] read(HttpExchange exchange, int limit) throws IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          return null;
        }
      } catch (NumberFormatException e) {
        // the server rejects a malformed length itself; read and count instead
      }
    }
    byte[] buffer = new byte[Math.min(limit + 1, 64 * 1024)];
    int size = 0;
    try (InputStream in = exchange.getRequestBody()) {
      while (size <= limit) {
        if (size == buffer.length) {
          buffer = Arrays.copyOf(buffer, Math.min(limit + 1, buffer.length * 2));
        }
        int n = in.read(buffer, size, buffer.length - size);
        if (n < 0) {
          break;
        }
        size += n;
      }
    }
    return size > limit ? null : Arrays.copyOf(buffer, size);
  }
}
