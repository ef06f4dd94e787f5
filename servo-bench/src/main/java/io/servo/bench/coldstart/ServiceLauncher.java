package io.servo.bench.coldstart;

import io.servo.bench.e2e.Configuration;
import io.servo.bench.e2e.HealthPoll;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts one service at a time from {@code servo.jar} and times it: {@code java [class-data archive]
 * [options] [-javaagent:…] -jar servo.jar SERVICE} with the service's production environment and a
 * configuration's tracing variables, from {@link ProcessBuilder#start()} to its first 200 on {@code
 * GET /health}, and the CPU time its JVM used until then. It then stops the service as Cloud Run stops
 * an instance (SIGTERM) and waits for the JVM to exit, so that the next start has the machine to
 * itself.
 */
final class ServiceLauncher {
  private static final int KEPT_LINES = 40;

  private final Path servoJar;
  private final Path javaagent;
  private final List<String> javaOptions;
  private final String databaseUrl;
  private final HttpClient client;
  private final AtomicReference<Process> running = new AtomicReference<>();

  ServiceLauncher(Path servoJar, Path javaagent, List<String> javaOptions, String databaseUrl, HttpClient client) {
    this.servoJar = servoJar;
    this.javaagent = javaagent;
    this.javaOptions = List.copyOf(javaOptions);
    this.databaseUrl = databaseUrl;
    this.client = client;
  }

  /**
   * One start until the first answer.
   *
   * @param wallNanos from {@link ProcessBuilder#start()} to the first 200 on {@code GET /health}
   * @param cpuNanos the CPU time (user and system, all threads) the JVM had used when it answered,
   *     which other processes on the machine disturb less than the wall time; -1 where the
   *     platform does not tell
   */
  record ColdStart(long wallNanos, long cpuNanos) {}

  /**
   * Starts {@code service} under {@code configuration}, exporting to {@code otlpEndpoint}, and
   * measures it until it served; the service has exited when this returns.
   *
   * @param archive the class-data archive to start with, as the launcher does; null for none
   */
  ColdStart start(Service service, Configuration configuration, Path archive, String otlpEndpoint)
      throws IOException, InterruptedException {
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (archive != null) {
      command.addAll(ClassDataArchives.options(archive));
    }
    command.addAll(javaOptions);
    if (configuration.agent()) {
      command.add("-javaagent:" + javaagent);
    }
    command.addAll(List.of("-jar", servoJar.toString(), service.command()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("SERVO_") || name.startsWith("OTEL_")
        || name.equals("JAVA_TOOL_OPTIONS") || name.equals("K_SERVICE") || name.equals("PORT"));
    env.putAll(configuration.environment(otlpEndpoint));
    if (configuration.agent()) {
      env.put("OTEL_SERVICE_NAME", service.serviceName());
    }
    env.putAll(service.environment(databaseUrl, port));
    String what = service + " under " + configuration;
    Deque<String> lastLines = new ArrayDeque<>();

    long started = System.nanoTime();
    Process process = builder.start();
    running.set(process);
    try {
      Thread reader = new Thread(() -> keepLastLines(process, lastLines), "coldstart-" + service);
      reader.setDaemon(true);
      reader.start();
      long wall = HealthPoll.nanosUntilHealthy(client, URI.create("http://127.0.0.1:" + port + "/health"),
          process, started, what, () -> lastLines(lastLines));
      long cpu = process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
      return new ColdStart(wall, cpu);
    } finally {
      stop(process, what);
      running.set(null);
    }
  }

  /** Kills the service that is starting, if any (Ctrl-C of the benchmark). */
  void kill() {
    Process process = running.getAndSet(null);
    if (process != null) {
      process.destroyForcibly();
    }
  }

  private static void stop(Process process, String what) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      System.err.println("servo bench: " + what + " did not stop within 30 s of SIGTERM; killing it");
      process.destroyForcibly().waitFor();
    }
  }

  // Reading from the start also keeps a full pipe from stalling the service's logging.
  private static void keepLastLines(Process process, Deque<String> lastLines) {
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        synchronized (lastLines) {
          lastLines.addLast(line);
          if (lastLines.size() > KEPT_LINES) {
            lastLines.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // The service is gone.
    }
  }

  private static String lastLines(Deque<String> lastLines) {
    synchronized (lastLines) {
      return String.join("\n", lastLines);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
