package io.servo.bench.e2e;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.storage.StorageOptions;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import io.servo.worker.execution.ExecutionInterceptor;
import io.servo.worker.execution.ExecutionOutcome;
import io.servo.worker.execution.ExecutionRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The child JVM of one configuration: Servo's orchestrator, local queue and worker in one process,
 * assembled as {@code servo dev} assembles them (one tracing SDK per service, storage traced by its
 * service's SDK), configured from the environment the driver gives it.
 *
 * <p>It talks to the driver over its standard streams. Out: {@code servo-bench ended ID NANOS STATE}
 * when a delivery ended an execution ({@link System#nanoTime()}, which on Linux is the same clock in
 * every process), and {@code servo-bench stats ALLOCATED_BYTES CPU_NANOS JIT_NANOS GC_NANOS} when
 * asked (CPU: the process's less the thread that answers, which only measures; JIT and GC: what the
 * JIT compiler threads and the garbage collector have used so far, part of CPU). In: {@code
 * stats}, {@code stop}. Everything else on standard output is the services' log.
 */
public final class ServoUnderTest {
  static final String PREFIX = "servo-bench ";

  private ServoUnderTest() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putIfAbsent("SERVO_ENVIRONMENT", "development");
    PrintStream out = System.out;
    Deque<AutoCloseable> started = new ArrayDeque<>();
    TracingConfig tracing = TracingConfig.from(env);
    ServoTelemetry workerTelemetry = ServoTelemetry.start(tracing, "servo-worker");
    started.push(() -> workerTelemetry.shutdown(Duration.ofSeconds(5)));
    ServoTelemetry orchestratorTelemetry = ServoTelemetry.start(tracing, "servo-orchestrator");
    started.push(() -> orchestratorTelemetry.shutdown(Duration.ofSeconds(5)));

    URI workerUrl = URI.create(env.get("SERVO_WORKER_URL"));
    byte[] secret = env.get("SERVO_HMAC_SECRET").getBytes(StandardCharsets.UTF_8);
    WorkerConfig workerConfig = WorkerConfig.fromEnvironment(env).withPort(workerUrl.getPort())
        .withHmacSecret(env.get("SERVO_HMAC_SECRET"));
    ServoStorage workerStorage = Storage.open(workerConfig.databaseUrl(),
        StorageOptions.defaults().withDataSourceWrapper(workerTelemetry::wrapDataSource));
    started.push(workerStorage);
    WorkerServer worker = WorkerServer.builder(workerConfig, workerStorage)
        .environment(env)
        .openTelemetry(workerTelemetry.openTelemetry())
        .beforeResponse(workerTelemetry::flushOnResponse)
        .interceptor(new EndReporter(out))
        .build()
        .start();
    started.push(worker);

    OrchestratorConfig orchestratorConfig = OrchestratorConfig.fromEnvironment(env);
    ServoStorage orchestratorStorage = Storage.open(orchestratorConfig.databaseUrl(),
        StorageOptions.defaults().withDataSourceWrapper(orchestratorTelemetry::wrapDataSource));
    started.push(orchestratorStorage);
    OrchestratorServer orchestrator = OrchestratorServer.builder(orchestratorConfig, orchestratorStorage)
        .openTelemetry(orchestratorTelemetry.openTelemetry())
        .traceLinks(traceId -> orchestratorTelemetry.traceLinks().url(traceId))
        .hmacSecret(secret)
        .build();
    orchestrator.start();
    started.push(orchestrator);

    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Map<Long, Long> allocatedByThread = new HashMap<>();
    for (String line = in.readLine(); line != null && !line.equals("stop"); line = in.readLine()) {
      if (line.equals("stats")) {
        long[] jitAndGc = jitAndGcCpuNanos();
        long allocated = allocatedBytes(threads, allocatedByThread);
        // This thread's own CPU is the readings' (the /proc scan above costs milliseconds): left out
        // of every slice instead of falling into the next one.
        long cpu = os.getProcessCpuTime() - threads.getCurrentThreadCpuTime();
        out.println(PREFIX + "stats " + allocated + " " + cpu + " " + jitAndGc[0] + " " + jitAndGc[1]);
      } else if (line.equals("pools")) {
        out.println(PREFIX + "pools " + allocatedBytesByPool(threads));
      }
    }
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        System.err.println("servo-bench: error while stopping: " + e);
      }
    }
    System.exit(0);
  }

  /**
   * Bytes allocated so far by this JVM's threads (JDK 17 has no whole-JVM counter), as a counter that
   * never goes back: {@code lastSeen} keeps each thread's last reading, so a thread that ended still
   * counts what it had allocated when last seen, and only what it allocated after that is missing.
   * Summing the live threads alone went backwards by hundreds of KB per execution when a pool retired
   * idle threads after a child had been stopped (measured 2026-12-07, paired slices). The calling
   * thread is left out: it only measures, and reading {@code /proc/self/task/*} for {@link
   * #jitAndGcCpuNanos} allocates about 20 KB per thread of the JVM, some 1.5 MB per reading. Counted,
   * that was 22-27 KB per execution at 6 executions/s ({@code --warmup-curve}'s pool {@code main}), and
   * 3 KB more in a configuration with tracing, whose JVM has more threads.
   */
  static long allocatedBytes(ThreadMXBean threads, Map<Long, Long> lastSeen) {
    long self = Thread.currentThread().getId();
    long[] ids = threads.getAllThreadIds();
    long[] allocated = threads.getThreadAllocatedBytes(ids);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != self && allocated[i] > 0) {
        lastSeen.put(ids[i], allocated[i]);
      }
    }
    long total = 0;
    for (long bytes : lastSeen.values()) {
      total += bytes;
    }
    return total;
  }

  /**
   * {@link #allocatedBytes} by thread pool: {@code NAME=BYTES} separated by spaces, a pool being the
   * threads whose names differ only in digits ({@code servo-worker-http-N}); the calling thread is
   * left out, as there.
   */
  static String allocatedBytesByPool(ThreadMXBean threads) {
    long[] ids = threads.getAllThreadIds();
    long[] allocated = threads.getThreadAllocatedBytes(ids);
    ThreadInfo[] infos = threads.getThreadInfo(ids);
    Map<String, Long> pools = new TreeMap<>();
    long self = Thread.currentThread().getId();
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != self && infos[i] != null && allocated[i] > 0) {
        pools.merge(infos[i].getThreadName().replaceAll("\\d+", "N").replace(' ', '_').replace('=', '_'),
            allocated[i], Long::sum);
      }
    }
    StringBuilder line = new StringBuilder();
    pools.forEach((name, bytes) -> line.append(line.length() == 0 ? "" : " ").append(name).append('=').append(bytes));
    return line.toString();
  }

  /**
   * {JIT compiler threads' CPU, garbage collector's CPU} in nanoseconds, from one pass over the
   * threads of {@code /proc/self/task} ({@link ProcCpu}); zeros where there is no {@code /proc}. The
   * compiler threads are {@code C1 CompilerThre…} and {@code C2 CompilerThre…}; {@code
   * CompilationMXBean} is no help: it counts their elapsed time, which on a busy machine includes the
   * time they waited for a CPU, and a compiler thread the JVM retired since the last reading is
   * missing, so a window's figure can only be too low. The collector's threads are
   * G1's ({@code GC Thread#N}, {@code G1 …}) and the {@code VM Thread}, which runs the collections'
   * safepoint operations. {@code GarbageCollectorMXBean} is no help here either: it counts pause
   * time, not CPU, and nothing of the concurrent threads.
   */
  static long[] jitAndGcCpuNanos() {
    long jit = 0;
    long gc = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        String name = ProcCpu.name(task);
        boolean compiler = name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");
        boolean collector = name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread");
        long nanos = compiler || collector ? ProcCpu.nanos(task) : -1;
        if (nanos > 0) {
          if (compiler) {
            jit += nanos;
          } else {
            gc += nanos;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
    return new long[] {jit, gc};
  }

  /** Reports every delivery that ended its execution, with the time it ended. */
  private static final class EndReporter implements ExecutionInterceptor {
    private final PrintStream out;

    EndReporter(PrintStream out) {
      this.out = out;
    }

    @Override
    public ExecutionOutcome aroundExecution(ExecutionRequest request, Proceed<ExecutionOutcome> next)
        throws InterruptedException {
      ExecutionOutcome outcome = next.proceed();
      if (outcome instanceof ExecutionOutcome.Ended ended) {
        out.println(PREFIX + "ended " + ended.executionId() + " " + System.nanoTime() + " "
            + ended.state());
      }
      return outcome;
    }
  }
}
