package io.servo.worker.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/** One path of the worker's API and the handler of each method it accepts. */
record Route(String path, Map<String, Handler> methods, boolean servedWhenOverloaded) {
  Route {
    methods = Map.copyOf(methods);
  }

  Set<String> allowed() {
    return methods.keySet();
  }

  @FunctionalInterface
  interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }
}
