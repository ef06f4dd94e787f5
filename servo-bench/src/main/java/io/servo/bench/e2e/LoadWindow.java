package io.servo.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One measurement window against one child: {@code clients} closed-loop clients each start an
 * execution ({@code POST /v1/workflows/{name}/executions}), wait for the child to report it ended,
 * and start the next, until the window's time is up. Latency is from just before the POST (driver)
 * to the end of the delivery that ended it (child); both read {@code System.nanoTime()}, the same
 * monotonic clock on Linux.
 */
final class LoadWindow {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one window measured. */
  record Result(int executions, long elapsedNanos, long[] latenciesNanos, long allocatedBytes,
      long cpuNanos, long jitNanos, int failed, double machineBusy) {
    double executionsPerSecond() {
      return executions * 1e9 / elapsedNanos;
    }

    double cpuNanosPerExecution() {
      return (double) cpuNanos / Math.max(1, executions);
    }

    /** The process's CPU less the JIT compilers' time: the steady-state cost of serving. */
    double servingCpuNanosPerExecution() {
      return (double) Math.max(0, cpuNanos - jitNanos) / Math.max(1, executions);
    }

    double jitNanosPerExecution() {
      return (double) jitNanos / Math.max(1, executions);
    }

    /** The share of the window's CPU that went to compiling code. */
    double jitShare() {
      return cpuNanos == 0 ? 0 : (double) jitNanos / cpuNanos;
    }

    double allocatedBytesPerExecution() {
      return (double) allocatedBytes / Math.max(1, executions);
    }
  }

  private LoadWindow() {}

  static Result run(ServedProcess child, HttpClient client, String workflow, int clients, Duration length)
      throws IOException, InterruptedException {
    URI start = child.orchestrator.resolve("/v1/workflows/" + workflow + "/executions");
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long[] before = child.counters();
    long[] machineBefore = MachineCpu.read();
    long begin = System.nanoTime();
    long deadline = begin + length.toNanos();
    List<Future<List<long[]>>> loops = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      loops.add(pool.submit(() -> loop(child, client, start, deadline)));
    }
    List<long[]> all = new ArrayList<>();
    try {
      for (Future<List<long[]>> loop : loops) {
        all.addAll(loop.get());
      }
    } catch (ExecutionException e) {
      throw new IOException("a client of " + child.configuration + " failed: " + e.getCause().getMessage()
          + "\nlast lines of the child:\n" + child.lastLines(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    long end = 0;
    int failed = 0;
    long[] latencies = new long[all.size()];
    for (int i = 0; i < all.size(); i++) {
      latencies[i] = all.get(i)[1] - all.get(i)[0];
      end = Math.max(end, all.get(i)[1]);
      failed += (int) all.get(i)[2];
    }
    long[] machineAfter = MachineCpu.read();
    long[] after = child.counters();
    long jiffies = machineAfter[1] - machineBefore[1];
    return new Result(all.size(), Math.max(1, end - begin), latencies, after[0] - before[0],
        after[1] - before[1], after[2] - before[2], failed, jiffies == 0 ? Double.NaN : (double) (machineAfter[0] - machineBefore[0]) / jiffies);
  }

  /** {start, end, failed ? 1 : 0} of each execution one client ran. */
  private static List<long[]> loop(ServedProcess child, HttpClient client, URI start, long deadline)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    List<long[]> done = new ArrayList<>();
    HttpRequest post = HttpRequest.newBuilder(start).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.noBody()).build();
    while (System.nanoTime() < deadline) {
      long begin = System.nanoTime();
      HttpResponse<String> response = client.send(post, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201) {
        throw new IOException("POST " + start + " answered " + response.statusCode() + ": " + response.body());
      }
      JsonNode body = JSON.readTree(response.body());
      String id = body.path("execution_id").asText();
      ServedProcess.Ended ended = child.future(id).get(60, TimeUnit.SECONDS);
      child.forget(id);
      done.add(new long[] {begin, ended.nanoTime(), "succeeded".equalsIgnoreCase(ended.state()) ? 0 : 1});
    }
    return done;
  }
}
