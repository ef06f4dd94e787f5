package io.servo.orchestrator.api;

import java.util.List;
import java.util.Map;

/** A request the API answers with an error: the status, a message saying what to do, and any problems or headers. */
final class ApiException extends RuntimeException {
  private final int status;
  private final List<String> problems;
  private final Map<String, String> headers;

  ApiException(int status, String message) {
    this(status, message, List.of(), Map.of());
  }

  ApiException(int status, String message, List<String> problems, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.problems = List.copyOf(problems);
    this.headers = Map.copyOf(headers);
  }

  int status() {
    return status;
  }

  List<String> problems() {
    return problems;
  }

  Map<String, String> headers() {
    return headers;
  }
}
