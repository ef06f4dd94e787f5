package io.servo.orchestrator.api;

import io.servo.core.http.Request;

/** An authenticated API request: the routed request and the caller's tenant. */
record ApiRequest(Request http, String tenant) {
  String header(String name) {
    return http.header(name);
  }

  /** The raw path segment of the route's {@code {name}}. */
  String pathVariable(String name) {
    return http.pathVariable(name);
  }
}
