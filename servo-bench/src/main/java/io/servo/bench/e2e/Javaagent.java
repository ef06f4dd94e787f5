package io.servo.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the OpenTelemetry Java agent jar: {@code SERVO_BENCH_JAVAAGENT}, else the copy the build put
 * next to this jar ({@code target/agent/}), else the local Maven repository, which {@code mvn
 * dependency:get} fills from Maven Central when it is missing.
 */
public final class Javaagent {
  static final String COORDINATES = "io.opentelemetry.javaagent:opentelemetry-javaagent:2.31.1";

  private Javaagent() {}

  public static Path locate() throws IOException, InterruptedException {
    String configured = System.getenv("SERVO_BENCH_JAVAAGENT");
    if (configured != null && !configured.isBlank()) {
      return existing(Path.of(configured), "SERVO_BENCH_JAVAAGENT");
    }
    Path self = Path.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0])
        .toAbsolutePath();
    Path beside = self.resolveSibling("agent").resolve("opentelemetry-javaagent.jar");
    if (Files.isRegularFile(beside)) {
      return beside;
    }
    Path repository = Path.of(System.getProperty("user.home"), ".m2", "repository", "io", "opentelemetry",
        "javaagent", "opentelemetry-javaagent", "2.31.1", "opentelemetry-javaagent-2.31.1.jar");
    if (!Files.isRegularFile(repository)) {
      Process get = new ProcessBuilder("mvn", "-q", "-B", "dependency:get", "-Dartifact=" + COORDINATES)
          .inheritIO().start();
      if (get.waitFor() != 0) {
        throw new IOException("mvn dependency:get -Dartifact=" + COORDINATES + " failed; "
            + "download the agent and set SERVO_BENCH_JAVAAGENT to its path");
      }
    }
    return existing(repository, "the local Maven repository");
  }

  private static Path existing(Path jar, String source) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no Java agent jar at " + jar + " (from " + source + ")");
    }
    return jar;
  }
}
