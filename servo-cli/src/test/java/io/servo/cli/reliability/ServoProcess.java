package io.servo.cli.reliability;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A Servo service in its own JVM ({@code java -cp <test class path> io.servo.cli.ServoCli worker}
 * or {@code orchestrator}), as it runs on Cloud Run: configured only by its environment, stopped
 * with SIGTERM ({@link #terminate()}) or SIGKILL ({@link #kill()}).
 */
final class ServoProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final int port;

  private ServoProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts {@code servo <command>} with exactly {@code env}; its output goes to {@code log}. */
  static ServoProcess start(String command, Map<String, String> env, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.servo.cli.ServoCli", command);
    pb.environment().clear();
    pb.environment().putAll(env);
    File out = log.toFile();
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out));
    return new ServoProcess(pb.start(), log, Integer.parseInt(env.get("PORT")));
  }

  /**
   * What every worker process of these tests is started with: Servo's database at {@code
   * databaseUrl}, the orchestrator's signing key, commands' work directory under {@code dir} and a
   * free {@code PORT}. Tests add their own variables (tracing, lease) to the map.
   */
  static Map<String, String> workerEnvironment(String databaseUrl, Path dir) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", databaseUrl);
    env.put("SERVO_HMAC_SECRET", InProcessServo.SECRET);
    env.put("SERVO_WORKDIR", io.servo.cli.SandboxedDirs.openToCommands(dir).toString());
    env.put("PORT", Integer.toString(freePort()));
    return env;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Waits until the service accepts connections on its port. */
  ServoProcess awaitListening(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("servo exited with " + process.exitValue() + ":\n" + output());
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        return this;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("servo did not listen on " + port + " within " + timeout + ":\n" + output());
  }

  int port() {
    return port;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** SIGTERM, what Cloud Run sends 10 s before SIGKILL. */
  void terminate() {
    process.destroy();
  }

  /** SIGKILL of the service and anything it started. */
  void kill() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly().waitFor();
  }

  boolean waitFor(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String output() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
