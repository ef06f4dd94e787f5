package io.servo.bench.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Waits for a freshly started process to answer {@code GET /health} with 200, asking every 5 ms. The
 * time from the process's start to that answer is its cold start, as both the end-to-end and the
 * cold-start benchmark define it.
 */
public final class HealthPoll {
  /** The pause between two attempts: the resolution of a cold start, well below its noise. */
  public static final Duration INTERVAL = Duration.ofMillis(5);
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private HealthPoll() {}

  /**
   * Nanoseconds from {@code startedNanos} ({@link System#nanoTime()} just before {@link
   * ProcessBuilder#start()}) to the first 200 on {@code health}.
   *
   * @param what the process, for error messages ("the child of (a) tracing disabled")
   * @param output the process's last lines of output, for error messages
   * @throws IOException when the process exits first or does not answer within 120 s
   */
  public static long nanosUntilHealthy(HttpClient client, URI health, Process process, long startedNanos,
      String what, Supplier<String> output) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(1)).build();
    long deadline = startedNanos + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        // Give the reader of its output a moment to catch the last lines.
        Thread.sleep(200);
        throw new IOException(what + " exited with " + process.exitValue() + " before serving:\n" + output.get());
      }
      try {
        if (client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return System.nanoTime() - startedNanos;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      TimeUnit.NANOSECONDS.sleep(INTERVAL.toNanos());
    }
    throw new IOException(what + " did not answer GET " + health.getPath() + " within " + TIMEOUT.toSeconds()
        + " s:\n" + output.get());
  }
}
