package io.servo.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
 * and start the next, until the window's time is up. Which workflow an execution runs, the one that
 * succeeds or the one that fails, the {@link FailureMix} decides from the execution's number on the
 * child. Latency is from just before the POST (driver) to the end of the delivery that ended it
 * (child); both read {@code System.nanoTime()}, the same monotonic clock on Linux.
 */
final class LoadWindow {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What one window measured. {@code failed}: executions that ended otherwise than succeeded;
   * {@code unplanned}: executions whose end was not the planned one (a planned failure that
   * succeeded, or an execution planned to succeed that did not). {@code databaseCpuNanos}: -1 unless
   * the caller measured it.
   */
  record Result(int executions, long beganNanos, long elapsedNanos, long[] latenciesNanos, long allocatedBytes,
      long cpuNanos, long jitNanos, long gcNanos, int failed, int unplanned, double machineBusy,
      long databaseCpuNanos) {
    /** The same with the CPU PostgreSQL's backends spent for the window ({@link DatabaseCpu}); -1 when unknown. */
    Result withDatabaseCpu(long nanos) {
      return new Result(executions, beganNanos, elapsedNanos, latenciesNanos, allocatedBytes, cpuNanos, jitNanos,
          gcNanos, failed, unplanned, machineBusy, nanos);
    }

    /**
     * This window and {@code other} of the same child as one: counts and times added, latencies
     * together, the machine's busy share weighted by time; PostgreSQL's CPU unknown if either's is.
     */
    Result plus(Result other) {
      long[] latencies = java.util.Arrays.copyOf(latenciesNanos, latenciesNanos.length + other.latenciesNanos.length);
      System.arraycopy(other.latenciesNanos, 0, latencies, latenciesNanos.length, other.latenciesNanos.length);
      double busy = (machineBusy * elapsedNanos + other.machineBusy * other.elapsedNanos)
          / (elapsedNanos + other.elapsedNanos);
      return new Result(executions + other.executions, Math.min(beganNanos, other.beganNanos),
          elapsedNanos + other.elapsedNanos, latencies, allocatedBytes + other.allocatedBytes,
          cpuNanos + other.cpuNanos, jitNanos + other.jitNanos, gcNanos + other.gcNanos, failed + other.failed,
          unplanned + other.unplanned, busy,
          databaseCpuNanos < 0 || other.databaseCpuNanos < 0 ? -1 : databaseCpuNanos + other.databaseCpuNanos);
    }

    double executionsPerSecond() {
      return executions * 1e9 / elapsedNanos;
    }

    double cpuNanosPerExecution() {
      return (double) cpuNanos / Math.max(1, executions);
    }

    /** The process's CPU less the JIT compilers' time: the steady-state cost of serving. */
    long servingCpuNanos() {
      return Math.max(0, cpuNanos - jitNanos);
    }

    double servingCpuNanosPerExecution() {
      return (double) servingCpuNanos() / Math.max(1, executions);
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

  static Result run(ServedProcess child, HttpClient client, FailureMix mix, int clients, Duration length)
      throws IOException, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long[] before = child.countersSinceLastWindow();
    long[] machineBefore = MachineCpu.read();
    long begin = System.nanoTime();
    long deadline = begin + length.toNanos();
    List<Future<List<long[]>>> loops = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      loops.add(pool.submit(() -> loop(child, client, mix, deadline)));
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
    int unplanned = 0;
    long[] latencies = new long[all.size()];
    for (int i = 0; i < all.size(); i++) {
      long[] execution = all.get(i);
      latencies[i] = execution[1] - execution[0];
      end = Math.max(end, execution[1]);
      failed += (int) execution[2];
      unplanned += execution[2] == execution[3] ? 0 : 1;
    }
    long[] machineAfter = MachineCpu.read();
    long[] after = child.counters();
    long jiffies = machineAfter[1] - machineBefore[1];
    return new Result(all.size(), begin, Math.max(1, end - begin), latencies, after[0] - before[0],
        after[1] - before[1], after[2] - before[2], after[3] - before[3], failed, unplanned, jiffies == 0 ? Double.NaN : (double) (machineAfter[0] - machineBefore[0]) / jiffies, -1);
  }

  /** {start, end, failed ? 1 : 0, planned to fail ? 1 : 0} of each execution one client ran. */
  private static List<long[]> loop(ServedProcess child, HttpClient client, FailureMix mix, long deadline)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    List<long[]> done = new ArrayList<>();
    HttpRequest succeeding = start(child, EndToEndBenchmark.WORKFLOW);
    HttpRequest failing = start(child, EndToEndBenchmark.FAILING_WORKFLOW);
    while (System.nanoTime() < deadline) {
      boolean toFail = mix.fails(child.nextExecution());
      HttpRequest post = toFail ? failing : succeeding;
      long begin = System.nanoTime();
      HttpResponse<String> response = client.send(post, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201) {
        throw new IOException("POST " + post.uri() + " answered " + response.statusCode() + ": " + response.body());
      }
      JsonNode body = JSON.readTree(response.body());
      String id = body.path("execution_id").asText();
      ServedProcess.Ended ended = child.future(id).get(60, TimeUnit.SECONDS);
      child.forget(id);
      done.add(new long[] {begin, ended.nanoTime(), "succeeded".equalsIgnoreCase(ended.state()) ? 0 : 1, toFail ? 1 : 0});
    }
    return done;
  }

  private static HttpRequest start(ServedProcess child, String workflow) {
    return HttpRequest.newBuilder(child.orchestrator.resolve("/v1/workflows/" + workflow + "/executions"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build();
  }
}
