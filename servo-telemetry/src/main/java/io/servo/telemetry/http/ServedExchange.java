package io.servo.telemetry.http;

import com.sun.net.httpserver.HttpExchange;

/** A request served by the JDK's {@code HttpServer}, as its SERVER span sees it. */
public interface ServedExchange {
  HttpExchange exchange();

  /** The matched route template ({@code /v1/workflows/{name}/executions}), or null when none matched. */
  String route();
}
