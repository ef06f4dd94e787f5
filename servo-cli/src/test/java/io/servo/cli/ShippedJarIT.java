package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar that {@code ./servo} starts, started the same way: every dependency the
 * services need at run time must be in it, not only on the tests' class path.
 */
class ShippedJarIT {
  private static final Path HOME =
      Path.of(System.getenv().getOrDefault("SERVO_HOME", "..")).toAbsolutePath().normalize();

  @TempDir Path dir;

  private Run servo(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+DisableAttachMechanism", "-Djdk.httpclient.allowRestrictedHeaders=host",
        "-jar", System.getProperty("servo.jar", HOME.resolve("servo-cli/target/servo.jar").toString())));
    command.addAll(List.of(args));
    Path output = dir.resolve("output.txt");
    Process process = new ProcessBuilder(command).directory(HOME.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("servo " + String.join(" ", args) + " did not end within 3 minutes:\n"
          + Files.readString(output, StandardCharsets.UTF_8));
    }
    return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }

  private record Run(int exitCode, String output) {}

  @Test
  void theDemoRunsFromTheShippedJar() throws Exception {
    Run demo = servo("demo");

    assertThat(demo.exitCode()).as(demo.output()).isZero();
    assertThat(demo.output()).contains("SUCCEEDED", "webhook received 1 authenticated call(s)");
  }

  @Test
  void devWithJsonLogsWritesOnlyJsonLinesWithTraceFieldsToStdout() throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("servo.jar", HOME.resolve("servo-cli/target/servo.jar").toString()), "dev");
    Path stdout = dir.resolve("stdout.txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(HOME.toFile())
        .redirectOutput(stdout.toFile()).redirectError(dir.resolve("stderr.txt").toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("SERVO_") || k.startsWith("OTEL_"));
    builder.environment().putAll(java.util.Map.of("SERVO_LOG_FORMAT", "json", "PORT", "0",
        "SERVO_WORKER_URL", "http://localhost:" + freePort(), "SERVO_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("servo.db")));
    Process dev = builder.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!Files.readString(stdout).contains("try: ./servo deploy") && dev.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    } finally {
      dev.destroy();
      dev.waitFor(30, TimeUnit.SECONDS);
    }

    List<String> lines = Files.readAllLines(stdout).stream().filter(l -> !l.isBlank()).toList();
    assertThat(lines).as("stdout").anyMatch(l -> l.contains("servo dev: orchestrator http://localhost:"));
    for (String line : lines) {
      com.fasterxml.jackson.databind.JsonNode json = io.servo.core.json.Json.mapper().readTree(line);
      assertThat(json.has("trace_id") && json.has("span_id") && json.has("message")).as(line).isTrue();
    }
  }

  private static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * {@code ./servo} as the image runs it ({@code SERVO_JAR}, never building), from a directory of its
   * own so that the archives it looks for next to the jar are this test's.
   */
  private Run launcher(Path jar, Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(HOME.resolve("servo").toString()));
    command.addAll(List.of(args));
    Path output = dir.resolve("launcher-output.txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("SERVO_") || k.startsWith("OTEL_"));
    builder.environment().put("SERVO_JAR", jar.toString());
    // The java that runs the tests: an archive only maps in the JVM that made it.
    builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + java.io.File.pathSeparator
        + System.getenv("PATH"));
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("servo " + String.join(" ", args) + " did not end within 3 minutes:\n"
          + Files.readString(output, StandardCharsets.UTF_8));
    }
    return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }

  @Test
  void theLauncherRunsTheSameWithoutAClassDataArchiveWithACorruptOneAndWithAGoodOne() throws Exception {
    Path jar = Files.createSymbolicLink(dir.resolve("servo.jar"),
        Path.of(System.getProperty("servo.jar", HOME.resolve("servo-cli/target/servo.jar").toString())).toAbsolutePath());
    Path archive = dir.resolve("servo-worker.jsa");

    Run without = launcher(jar, Map.of(), "worker", "--help");
    assertThat(without.exitCode()).as(without.output()).isZero();
    assertThat(without.output()).startsWith("Usage: servo worker");

    // Newer than the jar, so the launcher offers it; the JVM cannot map it, says so (not here) and goes on.
    byte[] garbage = new byte[64 * 1024];
    new Random(19).nextBytes(garbage);
    Files.write(archive, garbage);
    Run corrupt = launcher(jar, Map.of(), "worker", "--help");
    assertThat(corrupt).isEqualTo(without);
    // It did reach the JVM: -Xshare:on after the launcher's -Xshare:auto stops where no archive maps.
    assertThat(launcher(jar, Map.of("SERVO_JAVA_OPTS", "-Xshare:on"), "worker", "--help").exitCode()).isNotZero();

    Run made = launcher(jar, Map.of(), "cds-archive");
    assertThat(made.exitCode()).as(made.output()).isZero();
    assertThat(made.output()).contains("servo-worker.jsa", "servo-orchestrator.jsa");
    Run mapped = launcher(jar, Map.of("SERVO_JAVA_OPTS", "-Xshare:on"), "worker", "--help");
    assertThat(mapped).isEqualTo(without);

    // An archive of another jar (a copy: the JVM tells a link from its target by the real path), newer
    // than this one so the launcher offers it: the JVM's warning that it cannot use it stays out of the output.
    Path moved = Files.copy(jar.toRealPath(), dir.resolve("moved.jar"));
    Files.copy(archive, dir.resolve("moved-worker.jsa"));
    assertThat(launcher(moved, Map.of(), "worker", "--help")).isEqualTo(without);
  }

  @Test
  void helpRunsFromTheShippedJar() throws Exception {
    Run help = servo("--help");

    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.output()).startsWith("Usage: servo");
  }
}
