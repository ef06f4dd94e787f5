package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the {@code servo} command line answers before it talks to anything: help, version, usage errors. */
class CommandLineTest {
  @ParameterizedTest
  @ValueSource(strings = {"demo", "dev", "orchestrator", "worker", "deploy", "run", "status", "bench", "version"})
  void everyCommandExplainsItselfWithHelp(String command) throws Exception {
    ConsoleCapture help = ConsoleCapture.servo(command, "--help");

    assertThat(help.exitCode()).as(help.err()).isZero();
    assertThat(help.out()).startsWith("Usage: servo " + command);
  }

  @Test
  void helpListsEveryCommandAndTheExitCodes() throws Exception {
    for (List<String> args : List.of(List.of("--help"), List.of("help"))) {
      ConsoleCapture help = ConsoleCapture.servo(args.toArray(String[]::new));
      assertThat(help.exitCode()).isZero();
      assertThat(help.out()).contains("demo", "dev", "orchestrator", "worker", "deploy", "run", "status", "bench",
          "version", "Exit codes: 0 done; 1 the execution failed, or the request was refused;",
          "2 usage error; 3 a service could not start; 4 run --wait gave up waiting.");
    }
    assertThat(ConsoleCapture.servo("help", "run").out()).startsWith("Usage: servo run");
  }

  @Test
  void versionIsACommandToo() throws Exception {
    assertThat(ConsoleCapture.servo("version").out().strip()).isEqualTo(ServoCli.VERSION);
    assertThat(ConsoleCapture.servo("--version").out().strip()).isEqualTo(ServoCli.VERSION);
  }

  @Test
  void aServerWithoutSchemeIsAUsageErrorNotAStackTrace() throws Exception {
    ConsoleCapture status = ConsoleCapture.servo("status", "some-id", "--server", "localhost:8080");

    assertThat(status.exitCode()).isEqualTo(ServoCli.USAGE);
    assertThat(status.err().strip()).isEqualTo("servo: --server 'localhost:8080' is not a URL of the orchestrator: "
        + "use http://HOST:PORT or https://HOST, e.g. --server http://localhost:8080 (or set SERVO_SERVER)");
  }

  @Test
  void aBadTimeoutIsAUsageErrorBeforeAnythingStarts() throws Exception {
    ConsoleCapture run = ConsoleCapture.servo("run", "w", "--wait", "--timeout", "soon", "--server", "http://127.0.0.1:1");

    assertThat(run.exitCode()).isEqualTo(ServoCli.USAGE);
    assertThat(run.err()).contains("--timeout 'soon' is not a duration: use 30s, 5m or 1h");
  }

  @Test
  void benchThroughTheJarSaysToUseTheLauncher() throws Exception {
    ConsoleCapture bench = ConsoleCapture.servo("bench");

    assertThat(bench.exitCode()).isEqualTo(ServoCli.USAGE);
    assertThat(bench.err()).contains("./servo bench");
  }
}
