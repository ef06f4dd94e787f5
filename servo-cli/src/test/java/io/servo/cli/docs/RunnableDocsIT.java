package io.servo.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell blocks of README.md's tour and docs/local-tracing.md run as written, with the real
 * {@code ./servo} launcher on the jar that {@code mvn verify} packaged, from the repository root,
 * in one bash session per page (a reader follows a page in one terminal). Only what a laptop has
 * is stood in for: free ports instead of 8080/8081/9000 and a temporary database, so parallel
 * runs do not collide.
 */
class RunnableDocsIT {
  private static final Path HOME =
      Path.of(System.getenv().getOrDefault("SERVO_HOME", "..")).toAbsolutePath().normalize();
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern EXECUTION_ID = Pattern.compile("execution ([0-9a-f-]{36}) started");

  private static final Pattern EXIT_CODE = Pattern.compile("#.*\\bexit code (\\d+)");

  @TempDir Path dir;

  @Test
  void theReadmeTourRunsAndNotifiesTheLocalWebhook() throws Exception {
    ShellBlocks readme = ShellBlocks.of(HOME.resolve("README.md"));
    // `./servo demo` is what ShippedJarIT runs; `mvn verify` is the build this test is part of.
    assertThat(readme.under("Set up")).singleElement().extracting(ShellBlocks.Block::commands)
        .asList().allSatisfy(c -> assertThat(c.toString()).matches("(\\./servo demo|mvn verify) .*"));

    String transcript = runInOrder(readme.under("A five-minute tour"));

    assertThat(transcript).contains("webhook-sink: POST /servo -> 204",
        "✓ notify", "SUCCEEDED", "worker.execute_asset notify");
  }

  @Test
  void localTracingSectionsOneAndTwoRun() throws Exception {
    ShellBlocks page = ShellBlocks.of(HOME.resolve("docs/local-tracing.md"));
    List<ShellBlocks.Block> blocks = new ArrayList<>();
    for (ShellBlocks.Block block : page.blocks()) {
      if (block.text().contains("docker run")) {
        continue; // §3 Jaeger and §4 the Cloud Tasks emulator: no Docker engine on the build machines
      }
      if (block.text().strip().equals("./servo demo")) {
        continue; // ShippedJarIT runs `servo demo` from the shipped jar
      }
      blocks.add(block);
    }
    assertThat(blocks).extracting(ShellBlocks.Block::heading)
        .anyMatch(h -> h.startsWith("1.")).anyMatch(h -> h.startsWith("2."));

    String transcript = runInOrder(blocks);

    assertThat(transcript).contains("webhook-sink: POST /servo -> 204", "✓ notify", "worker.execute_asset notify");
    // §2: the stdout exporter's lines, one short head line per span.
    assertThat(transcript).containsPattern("\\d SPAN +\\d+\\.\\d ms CONSUMER servo-worker  worker\\.execute_workflow  OK\n"
        + "    trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} parent_id=[0-9a-f]{16}\n");
  }

  /** Runs the blocks' commands one by one in one session; each must exit 0. Returns the whole transcript. */
  private String runInOrder(List<ShellBlocks.Block> blocks) throws Exception {
    assertThat(blocks).isNotEmpty();
    Map<String, String> ports = Map.of("8080", freePort(), "8081", freePort(), "9000", freePort());
    ShellSession shell = new ShellSession(HOME, environment(ports));
    try (shell) {
      String executionId = null;
      for (ShellBlocks.Block block : blocks) {
        for (String written : block.commands()) {
          String command = withLocalPorts(written, ports);
          if (command.contains("<execution-id>")) {
            assertThat(executionId).as("`%s` needs the id that `./servo run` printed before it", written).isNotNull();
            command = command.replace("<execution-id>", executionId);
          }
          ShellSession.Result result = shell.run(command, COMMAND_TIMEOUT);
          assertThat(result.exitCode()).as("exit code of `%s` (%s)\n%s", written, block.heading(), shell.transcript())
              .isEqualTo(expectedExitCode(written));
          Matcher started = EXECUTION_ID.matcher(result.output());
          if (started.find()) {
            executionId = started.group(1);
          }
        }
      }
    }
    // After close: what the background jobs printed as they stopped (the spans they flushed) too.
    return shell.transcript();
  }

  /** 0, or what the command's comment says: {@code # ... exit code N ...}. */
  private static int expectedExitCode(String command) {
    Matcher said = EXIT_CODE.matcher(command);
    return said.find() ? Integer.parseInt(said.group(1)) : 0;
  }

  /** The page's fixed ports, moved to free ones (only where a port is written: the webhook sink's). */
  private static String withLocalPorts(String command, Map<String, String> ports) {
    return command.replace("localhost:9000", "localhost:" + ports.get("9000"))
        .replace("--port 9000", "--port " + ports.get("9000"));
  }

  /**
   * The user's environment without Servo's variables, plus the stand-ins: the orchestrator and the
   * worker on free ports (which `servo dev` and the clients read from PORT, SERVO_WORKER_URL and
   * SERVO_SERVER), a database in a temporary directory, and the jar already built.
   */
  private Map<String, String> environment(Map<String, String> ports) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(k -> k.startsWith("SERVO_") || k.startsWith("GCP_") || k.startsWith("OTEL_"));
    env.put("SERVO_JAR", System.getProperty("servo.jar", HOME.resolve("servo-cli/target/servo.jar").toString()));
    env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("PORT", ports.get("8080"));
    env.put("SERVO_WORKER_URL", "http://localhost:" + ports.get("8081"));
    env.put("SERVO_SERVER", "http://localhost:" + ports.get("8080"));
    env.put("SERVO_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("servo.db"));
    return env;
  }

  private static String freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return String.valueOf(socket.getLocalPort());
    }
  }
}
