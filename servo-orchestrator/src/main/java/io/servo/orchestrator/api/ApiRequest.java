package io.servo.orchestrator.api;

import com.sun.net.httpserver.HttpExchange;

/** An authenticated request routed to an endpoint: the caller's tenant and the path's one variable. */
record ApiRequest(HttpExchange exchange, String tenant, String pathParam) {
  String header(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }
}
