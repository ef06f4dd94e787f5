package io.servo.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The driver's handle on one configuration's child JVM ({@link ServoUnderTest}): starts it, measures
 * its cold start, deploys the workflow, matches the ends it reports to executions, reads its
 * allocation and CPU counters, pauses and resumes it (SIGSTOP, SIGCONT), stops it.
 */
final class ServedProcess implements AutoCloseable {
  private static final String HMAC_SECRET = "servo-bench-signing-key-0123456789abcdefghijklmnop";

  final Configuration configuration;
  final URI orchestrator;
  private long coldStartNanos;
  private final Process process;
  private final PrintStream commands;
  private final Map<String, CompletableFuture<Ended>> ends = new ConcurrentHashMap<>();
  private final BlockingQueue<long[]> stats = new LinkedBlockingQueue<>();
  private final BlockingQueue<Map<String, Long>> pools = new LinkedBlockingQueue<>();
  private final Deque<String> lastLines = new ArrayDeque<>();
  private final AtomicLong executionsStarted = new AtomicLong();
  private volatile boolean paused;
  private long[] lastCounters;

  /** An execution's end as the child saw it. */
  record Ended(long nanoTime, String state) {}

  private ServedProcess(Configuration configuration, URI orchestrator, Process process) {
    this.configuration = configuration;
    this.orchestrator = orchestrator;
    this.process = process;
    this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  /**
   * Starts the child and waits until its orchestrator answers {@code GET /health}; the time from
   * {@link ProcessBuilder#start()} to that answer is the cold start.
   */
  static ServedProcess start(Configuration configuration, List<String> javaOptions, Path javaagent,
      String databaseUrl, String otlpEndpoint, String hookUrl, HttpClient client)
      throws IOException, InterruptedException {
    int orchestratorPort = freePort();
    int workerPort = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(javaOptions);
    // Any other JVM options for every child, e.g. a profiler: {label} becomes the configuration's.
    String extra = System.getenv().getOrDefault("SERVO_BENCH_CHILD_OPTIONS", "").trim();
    if (!extra.isEmpty()) {
      for (String option : extra.split("\\s+")) {
        command.add(option.replace("{label}", configuration.label()));
      }
    }
    if (configuration.agent()) {
      command.add("-javaagent:" + javaagent);
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), ServoUnderTest.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("SERVO_") || name.startsWith("OTEL_")
        || name.equals("JAVA_TOOL_OPTIONS") || name.equals("K_SERVICE"));
    env.putAll(configuration.environment(otlpEndpoint));
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", databaseUrl);
    env.put("SERVO_QUEUE", "local");
    env.put("PORT", Integer.toString(orchestratorPort));
    env.put("SERVO_WORKER_URL", "http://127.0.0.1:" + workerPort);
    env.put("SERVO_HMAC_SECRET", HMAC_SECRET);
    env.put("HOOK_URL", hookUrl);
    env.put("HOOK_TOKEN", "Bearer bench-hook-token-not-a-secret");
    // The benchmark is its own operator: the workflow's tenant may read HOOK_TOKEN and reach the
    // hook on loopback, and its sql assets run in the benchmark's database as they are (its own
    // warehouse), where the benchmark created bench_orders.
    env.put("SERVO_TENANT_DEFAULT_ENV", "HOOK_TOKEN");
    env.put("SERVO_TENANT_DEFAULT_HTTP_HOSTS", URI.create(hookUrl).getHost() + ":" + URI.create(hookUrl).getPort());
    env.put("SERVO_TENANT_DEFAULT_WAREHOUSE_URL", databaseUrl);
    URI orchestrator = URI.create("http://127.0.0.1:" + orchestratorPort);

    long started = System.nanoTime();
    Process process = builder.start();
    ServedProcess child = new ServedProcess(configuration, orchestrator, process);
    // Read its output from the start: a full pipe would stall the child's logging.
    Thread reader = new Thread(child::readOutput, "child-" + configuration.label());
    reader.setDaemon(true);
    reader.start();
    try {
      child.coldStartNanos = child.awaitHealth(client, started);
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
      throw e;
    }
    return child;
  }

  /** Nanoseconds from {@link ProcessBuilder#start()} to the orchestrator's first answer to GET /health. */
  long coldStartNanos() {
    return coldStartNanos;
  }

  private long awaitHealth(HttpClient client, long started) throws InterruptedException, IOException {
    return HealthPoll.nanosUntilHealthy(client, orchestrator.resolve("/health"), process, started,
        "the child of " + configuration, this::lastLines);
  }

  private void readOutput() {
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith(ServoUnderTest.PREFIX + "ended ")) {
          String[] parts = line.split(" ");
          future(parts[2]).complete(new Ended(Long.parseLong(parts[3]), parts[4]));
        } else if (line.startsWith(ServoUnderTest.PREFIX + "pools")) {
          Map<String, Long> byPool = new TreeMap<>();
          for (String pool : line.substring((ServoUnderTest.PREFIX + "pools").length()).trim().split(" ")) {
            int eq = pool.lastIndexOf('=');
            if (eq > 0) {
              byPool.put(pool.substring(0, eq), Long.parseLong(pool.substring(eq + 1)));
            }
          }
          pools.add(byPool);
        } else if (line.startsWith(ServoUnderTest.PREFIX + "stats ")) {
          String[] parts = line.split(" ");
          stats.add(new long[] {Long.parseLong(parts[2]), Long.parseLong(parts[3]), Long.parseLong(parts[4]),
              Long.parseLong(parts[5])});
        } else {
          synchronized (lastLines) {
            lastLines.addLast(line);
            if (lastLines.size() > 40) {
              lastLines.removeFirst();
            }
          }
        }
      }
    } catch (IOException e) {
      // The child is gone; waiting callers time out and show lastLines.
    }
  }

  /** The future of the execution {@code id}'s end; it may have been reported already. */
  CompletableFuture<Ended> future(String id) {
    return ends.computeIfAbsent(id, k -> new CompletableFuture<>());
  }

  void forget(String id) {
    ends.remove(id);
  }

  /**
   * The number of the next execution started on this child: 0, 1, … over all its windows, in the
   * order the driver's clients start them (what {@link FailureMix} decides on).
   */
  long nextExecution() {
    return executionsStarted.getAndIncrement();
  }

  /**
   * {allocated bytes of live threads, process CPU nanoseconds, JIT compiler threads' CPU
   * nanoseconds, garbage collector threads' CPU nanoseconds}, read in the child now.
   */
  long[] counters() throws InterruptedException, IOException {
    commands.println("stats");
    long[] values = stats.poll(30, TimeUnit.SECONDS);
    if (values == null) {
      throw new IOException("the child of " + configuration + " did not answer 'stats':\n" + lastLines());
    }
    lastCounters = values;
    return values;
  }

  /**
   * The last {@link #counters()} read, or a reading now when there was none: where the next window
   * starts counting, so that what the child spent between two windows (while it still ran after the
   * last reading) counts in the later one instead of in none.
   */
  long[] countersSinceLastWindow() throws InterruptedException, IOException {
    return lastCounters != null ? lastCounters : counters();
  }

  /** Bytes allocated so far by the live threads of each pool of the child (see {@link ServoUnderTest}). */
  Map<String, Long> allocationByPool() throws InterruptedException, IOException {
    commands.println("pools");
    Map<String, Long> values = pools.poll(30, TimeUnit.SECONDS);
    if (values == null) {
      throw new IOException("the child of " + configuration + " did not answer 'pools':\n" + lastLines());
    }
    return values;
  }

  /**
   * Stops the whole JVM with SIGSTOP, and returns once the kernel shows it stopped: from then on none
   * of its threads (pollers, JIT, GC, the exporters' timers) takes a CPU from the child being
   * measured. Only between slices, when none of its executions is running: a stopped child answers
   * nothing, so the driver sends it no load. {@code ProcessHandle} has no way to send SIGSTOP, hence
   * {@code kill}.
   */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
    paused = true;
    // kill(1) returns once the signal is sent; the threads stop a moment later.
    Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
    for (int i = 0; i < 200 && process.isAlive(); i++) {
      String line = Files.readString(stat);
      char state = line.charAt(line.lastIndexOf(')') + 2);
      if (state == 'T' || state == 't') {
        return;
      }
      Thread.sleep(1);
    }
  }

  /** Lets a child that {@link #pause()} stopped run again (SIGCONT). */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
    paused = false;
  }

  private void signal(String name) throws IOException, InterruptedException {
    if (!process.isAlive()) {
      throw new IOException("the child of " + configuration + " has exited:\n" + lastLines());
    }
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
        .redirectErrorStream(true).start();
    String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed: " + output.trim());
    }
  }

  String lastLines() {
    synchronized (lastLines) {
      return String.join("\n", lastLines);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (paused) {
      // A stopped JVM cannot read "stop"; and left stopped, it would outlive the driver.
      try {
        resume();
      } catch (IOException e) {
        process.destroyForcibly();
      }
    }
    commands.println("stop");
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
