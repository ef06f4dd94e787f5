package io.servo.core.http;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A request answered with an error: thrown by a {@link Route.Handler}, written by {@link JsonHttpServer}
 * as {@code {"error": "...", "problems": [...]}} (problems only when there are some) with its headers.
 * The message says what was wrong and what to do.
 */
public final class HttpError extends RuntimeException {
  private final int status;
  private final List<String> problems;
  private final Map<String, String> headers;

  public HttpError(int status, String message) {
    this(status, message, List.of(), Map.of(), null);
  }

  public HttpError(int status, String message, Map<String, String> headers) {
    this(status, message, List.of(), headers, null);
  }

  /**
   * @param cause what made the request fail (a database outage behind a 503, say), shown to the
   *     {@link ExchangeObserver} but never to the caller; null when the caller's request is the cause
   */
  public HttpError(int status, String message, List<String> problems, Map<String, String> headers,
      Throwable cause) {
    // No stack trace: an error answer is an expected outcome, and the cause keeps its own.
    super(Objects.requireNonNull(message, "message"), cause, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be 400-599, was " + status);
    }
    this.status = status;
    this.problems = List.copyOf(problems);
    this.headers = Map.copyOf(headers);
  }

  public int status() {
    return status;
  }

  public List<String> problems() {
    return problems;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** The answer written for this error. */
  public JsonAnswer answer() {
    return JsonAnswer.error(status, getMessage(), problems, headers);
  }
}
