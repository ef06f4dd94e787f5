package io.servo.bench.e2e;

import io.servo.testing.otlp.OtlpReceiver;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * How one configuration's child warms up: one child under the end-to-end load without a pause,
 * measured in consecutive windows, each printed with its CPU per execution split into the JIT
 * compilers' share and the rest. It shows how long the end-to-end benchmark must warm a child
 * before its CPU figures measure serving rather than compiling ({@link EndToEndBenchmark.Effort}).
 * Unlike the end-to-end benchmark's load, no execution fails ({@link FailureMix#NONE}): the curves
 * stay comparable with earlier runs, and (bk) against (b) shows what retroactive keep costs the
 * executions that succeed.
 */
public final class WarmupCurve {
  private WarmupCurve() {}

  /**
   * Runs {@code configuration}'s child for {@code length}, one line per {@code window}. The child is
   * stopped and its database dropped at the end, also on Ctrl-C.
   *
   * @param recording where the child's JFR recording goes (the {@code profile} settings), or null
   */
  public static void run(Configuration configuration, Duration length, Duration window, Path recording,
      PrintStream log)
      throws IOException, InterruptedException, SQLException {
    String name = "servo_bench_" + UUID.randomUUID().toString().substring(0, 8) + "_warmup";
    HttpClient client = EndToEndBenchmark.driverClient();
    int clients = EndToEndBenchmark.Effort.THOROUGH.clients();
    Map<Configuration, BenchDatabase> databases = new EnumMap<>(Configuration.class);
    Map<Configuration, ServedProcess> children = new EnumMap<>(Configuration.class);
    Map<Configuration, Map<String, Long>> states = new EnumMap<>(Configuration.class);
    Thread cleanup = new Thread(() -> EndToEndBenchmark.stopAndDrop(children, databases, states),
        "servo-bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try (OtlpReceiver receiver = OtlpReceiver.counting(); WebhookStub hook = new WebhookStub()) {
      try {
        BenchDatabase database = BenchDatabase.create(EndToEndBenchmark.postgresServer(), name);
        databases.put(configuration, database);
        List<String> options = recording == null ? List.of("-Xmx1g") : List.of("-Xmx1g",
            "-XX:StartFlightRecording=filename=" + recording + ",settings=profile,dumponexit=true");
        ServedProcess child = ServedProcess.start(configuration, options, Javaagent.locate(),
            database.url(), receiver.tracesEndpoint(configuration.label()), hook.url(), client);
        children.put(configuration, child);
        EndToEndBenchmark.deploy(client, child.orchestrator, hook.url());
        log.printf(Locale.ROOT, "%s: cold start %.0f ms; %d clients without a pause%n", configuration,
            child.coldStartNanos() / 1e6, clients);
        log.println("| load s | executions | exec/s | CPU ms/exec | JIT ms/exec | JIT share | CPU less JIT ms/exec | alloc KB/exec |");
        log.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
        long executions = 0;
        // Allocation by thread pool over the second half of the load, when the JIT is mostly done.
        Map<String, Long> poolsAtHalf = null;
        long executionsAtHalf = 0;
        for (Duration spent = Duration.ZERO; spent.compareTo(length) < 0; ) {
          if (poolsAtHalf == null && spent.multipliedBy(2).compareTo(length) >= 0) {
            poolsAtHalf = child.allocationByPool();
            executionsAtHalf = executions;
          }
          LoadWindow.Result r = LoadWindow.run(child, client, FailureMix.NONE, clients, window);
          spent = spent.plus(window);
          executions += r.executions();
          log.printf(Locale.ROOT, "| %d | %d | %.1f | %.2f | %.2f | %.0f%% | %.2f | %.2f |%n", spent.toSeconds(),
              executions, r.executionsPerSecond(), r.cpuNanosPerExecution() / 1e6,
              r.jitNanosPerExecution() / 1e6, r.jitShare() * 100, r.servingCpuNanosPerExecution() / 1e6,
              r.allocatedBytesPerExecution() / 1024);
        }
        printPools(poolsAtHalf, child.allocationByPool(), executions - executionsAtHalf, log);
      } finally {
        EndToEndBenchmark.stopAndDrop(children, databases, states);
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
  }

  /** KB per execution of each thread pool between two readings; a pool born in between counts from 0. */
  private static void printPools(Map<String, Long> before, Map<String, Long> after, long executions, PrintStream log) {
    log.printf(Locale.ROOT, "Allocation by thread pool over the second half (%d executions):%n", executions);
    log.println("| thread pool | alloc KB/exec |");
    log.println("|---|---:|");
    after.forEach((pool, bytes) -> {
      double perExecution = (bytes - before.getOrDefault(pool, 0L)) / 1024.0 / Math.max(1, executions);
      if (perExecution >= 0.01) {
        log.printf(Locale.ROOT, "| %s | %.2f |%n", pool, perExecution);
      }
    });
  }
}
