package io.servo.telemetry;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a blocking probe (metadata server, ADC lookup) on a daemon thread and gives up after a bound:
 * DNS lookups of metadata.google.internal are not covered by socket timeouts and can hang off GCP.
 */
final class Bounded {

  private Bounded() {}

  static <T> Optional<T> call(String name, Duration bound, Callable<T> probe) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(probe.call());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, "servo-telemetry-" + name);
    thread.setDaemon(true);
    thread.start();
    try {
      return Optional.ofNullable(result.get(bound.toMillis(), TimeUnit.MILLISECONDS));
    } catch (TimeoutException e) {
      thread.interrupt();
      return Optional.empty();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception) {
        throw (Exception) cause;
      }
      throw new IllegalStateException(cause);
    }
  }
}
