package io.servo.worker.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * Counts the requests being handled, so shutdown waits only while there are any. JDK 17's {@code
 * HttpServer.stop(n)} always waits the whole {@code n} seconds, even when idle (JDK-8304065, fixed
 * in JDK 22), so the worker waits here and then stops the server with no delay. Once draining, new
 * requests are answered 503 at once: the queue delivers them again elsewhere.
 */
final class InFlightRequests implements HttpHandler {
  private final HttpHandler next;
  private int running;
  private boolean draining;

  InFlightRequests(HttpHandler next) {
    this.next = next;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    if (!admit()) {
      refuse(exchange);
      return;
    }
    try {
      next.handle(exchange);
    } finally {
      synchronized (this) {
        running--;
        notifyAll();
      }
    }
  }

  /** Counts the request in, unless draining has begun. */
  private synchronized boolean admit() {
    if (draining) {
      return false;
    }
    running++;
    return true;
  }

  private static void refuse(HttpExchange exchange) {
    try {
      JsonResponses.error(exchange, 503, "the worker is shutting down; retry later",
          Map.of("Retry-After", ExecuteHandler.RETRY_AFTER_SECONDS, "Connection", "close"));
    } catch (IOException e) {
      exchange.close();
    }
  }

  /**
   * Refuses new requests from now on and waits until none is running, at most {@code grace}.
   *
   * @return true when idle, false when requests were still running at the end of the grace
   */
  synchronized boolean drain(Duration grace) throws InterruptedException {
    draining = true;
    long deadline = System.nanoTime() + grace.toNanos();
    while (running > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      // Millisecond resolution is enough for a shutdown; round up so a short wait is not a spin.
      wait(Math.max(1, (left + 999_999) / 1_000_000));
    }
    return true;
  }
}
