package io.servo.worker.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Dispatches on exact path and method: unknown paths get 404, other methods 405 with {@code Allow}. */
final class Router implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(Router.class);

  private final Map<String, Route> routes;

  Router(List<Route> routes) {
    this.routes = routes.stream().collect(Collectors.toUnmodifiableMap(Route::path, Function.identity()));
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      Route route = routes.get(exchange.getRequestURI().getPath());
      if (route == null) {
        JsonResponses.error(exchange, 404, "no such endpoint: " + exchange.getRequestURI().getPath()
            + " (the worker serves POST /execute, GET /health and GET /ready)");
        return;
      }
      Route.Handler handler = route.methods().get(exchange.getRequestMethod());
      if (handler == null) {
        String allow = String.join(", ", new TreeSet<>(route.allowed()));
        JsonResponses.error(exchange, 405, exchange.getRequestMethod() + " is not allowed on "
            + route.path() + " (allowed: " + allow + ")", Map.of("Allow", allow));
        return;
      }
      if (RequestExecutor.isOverflow() && !route.servedWhenOverloaded()) {
        JsonResponses.error(exchange, 503, "the worker is busy; retry later",
            Map.of("Retry-After", ExecuteHandler.RETRY_AFTER_SECONDS, "Connection", "close"));
        return;
      }
      handler.handle(exchange);
    } catch (IOException e) {
      // The client went away; nothing left to answer.
      log.debug("{} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e.toString());
      exchange.close();
    } catch (RuntimeException e) {
      log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
      try {
        JsonResponses.error(exchange, 500, "internal error in the worker");
      } catch (IOException | RuntimeException ignored) {
        exchange.close();
      }
    }
  }
}
