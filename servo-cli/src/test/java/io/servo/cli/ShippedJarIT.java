package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  void helpRunsFromTheShippedJar() throws Exception {
    Run help = servo("--help");

    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.output()).startsWith("Usage: servo");
  }
}
