package io.servo.core.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An answer decided and not yet written: the status, the body (any value {@code Json.mapper()} can
 * write) and extra response headers. {@link JsonHttpServer} writes it as {@code application/json}.
 */
public record JsonAnswer(int status, Object body, Map<String, String> headers) {
  public JsonAnswer {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be 100-599, was " + status);
    }
    Objects.requireNonNull(body, "body");
    headers = Map.copyOf(headers);
  }

  public static JsonAnswer of(int status, Object body) {
    return new JsonAnswer(status, body, Map.of());
  }

  /** {@code {"error": message}}: what went wrong and what to do. */
  public static JsonAnswer error(int status, String message) {
    return error(status, message, List.of(), Map.of());
  }

  public static JsonAnswer error(int status, String message, Map<String, String> headers) {
    return error(status, message, List.of(), headers);
  }

  /** {@code {"error": message, "problems": [...]}}, the problems only when there are some. */
  public static JsonAnswer error(int status, String message, List<String> problems,
      Map<String, String> headers) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", Objects.requireNonNull(message, "message"));
    if (!problems.isEmpty()) {
      body.put("problems", List.copyOf(problems));
    }
    return new JsonAnswer(status, body, headers);
  }
}
