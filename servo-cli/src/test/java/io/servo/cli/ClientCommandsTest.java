package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy, run --wait and status against a running orchestrator and worker, as a user types them. */
class ClientCommandsTest {
  @TempDir static Path dir;
  private static io.servo.cli.e2e.LocalStackAccess stack;

  @BeforeAll
  static void start() {
    stack = io.servo.cli.e2e.LocalStackAccess.start("jdbc:sqlite:" + dir.resolve("servo.db"),
        Map.of("SERVO_API_TOKENS", "acme:tok-acme,globex:tok-globex"));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void deployRunWaitAndStatus() throws Exception {
    Path file = dir.resolve("hello.yaml");
    Files.writeString(file, """
        workflow: hello
        assets:
          - {name: one, kind: sql, sql: "CREATE TABLE IF NOT EXISTS hello (x INTEGER)"}
          - {name: two, kind: command, command: [java, -version], depends_on: [one]}
        """);
    String server = stack.url();

    ConsoleCapture deploy = ConsoleCapture.servo("deploy", file.toString(), "--server", server, "--token", "tok-acme");
    assertThat(deploy.exitCode()).as(deploy.err()).isZero();
    assertThat(deploy.out()).contains("deployed hello version 1 (tenant acme)");

    ConsoleCapture run = ConsoleCapture.servo("run", "hello", "--wait", "--server", server, "--token", "tok-acme");
    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).containsPattern("✓ one +succeeded").containsPattern("✓ two +succeeded").contains("SUCCEEDED");
    String id = run.out().lines().filter(l -> l.startsWith("execution ")).findFirst().orElseThrow().split(" ")[1];

    ConsoleCapture status = ConsoleCapture.servo("status", id, "--server", server, "--token", "tok-acme");
    assertThat(status.exitCode()).isZero();
    assertThat(status.out()).contains("execution " + id + "  SUCCEEDED  (workflow hello v1)");

    // Another tenant's valid token sees nothing of it.
    ConsoleCapture other = ConsoleCapture.servo("status", id, "--server", server, "--token", "tok-globex");
    assertThat(other.exitCode()).isEqualTo(1);
    assertThat(other.err()).contains("HTTP 404");
  }

  @Test
  void aFailedExecutionExitsNonZero() throws Exception {
    Path file = dir.resolve("broken.yaml");
    Files.writeString(file, "workflow: broken\nassets: [{name: boom, kind: command, command: [java, --no-such-flag]}]\n");
    String server = stack.url();
    assertThat(ConsoleCapture.servo("deploy", file.toString(), "--server", server, "--token", "tok-acme").exitCode()).isZero();

    ConsoleCapture run = ConsoleCapture.servo("run", "broken", "--wait", "--server", server, "--token", "tok-acme");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).containsPattern("✗ boom +failed").contains("FAILED");
  }

  @Test
  void anInvalidFileIsExplainedBeforeAnythingIsSent() throws Exception {
    Path file = dir.resolve("cycle.yaml");
    Files.writeString(file, "workflow: cyc\nassets: [{name: a, kind: sql, sql: x, depends_on: [b]}, {name: b, kind: sql, sql: x, depends_on: [a]}]\n");

    ConsoleCapture deploy = ConsoleCapture.servo("deploy", file.toString(), "--server", stack.url(), "--token", "tok-acme");

    assertThat(deploy.exitCode()).isEqualTo(1);
    assertThat(deploy.err()).contains("is not a valid workflow:", "dependency cycle: a -> b -> a");
  }

  @Test
  void aWrongTokenIsRefused() throws Exception {
    ConsoleCapture run = ConsoleCapture.servo("run", "hello", "--server", stack.url(), "--token", "nope");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("HTTP 401");
  }

  @Test
  void anUnreachableServerSaysWhatToDo() throws Exception {
    ConsoleCapture status = ConsoleCapture.servo("status", "x", "--server", "http://127.0.0.1:1");
    assertThat(status.exitCode()).isEqualTo(1);
    assertThat(status.err()).contains("cannot reach the orchestrator at http://127.0.0.1:1/");
  }

  @Test
  void runWaitThatGivesUpSaysSoAndExitsWithItsOwnCode() throws Exception {
    Path file = dir.resolve("slow.yaml");
    Files.writeString(file, "workflow: slow\nassets: [{name: nap, kind: command, command: [sleep, '3']}]\n");
    String server = stack.url();
    assertThat(ConsoleCapture.servo("deploy", file.toString(), "--server", server, "--token", "tok-acme").exitCode()).isZero();

    ConsoleCapture run = ConsoleCapture.servo("run", "slow", "--wait", "--timeout", "500ms", "--server", server,
        "--token", "tok-acme");

    assertThat(run.exitCode()).isEqualTo(ServoCli.GAVE_UP);
    assertThat(run.err()).containsPattern("servo: stopped waiting after 500ms \\(--timeout\\); execution \\S+ is still "
        + "(pending|running): it goes on; see it with ./servo status \\S+");
  }

  @Test
  void errorsGiveTheirHintsInTheCommandLinesTerms() throws Exception {
    String server = stack.url();

    ConsoleCapture notDeployed = ConsoleCapture.servo("run", "nope", "--server", server, "--token", "tok-acme");
    assertThat(notDeployed.exitCode()).isEqualTo(ServoCli.FAILED);
    assertThat(notDeployed.err()).contains("deploy it first with ./servo deploy FILE").doesNotContain("PUT /v1");

    ConsoleCapture noToken = ConsoleCapture.servo("run", "nope", "--server", server, "--token", "");
    assertThat(noToken.err()).contains("--token TOKEN (or set SERVO_API_TOKEN)").doesNotContain("Authorization: Bearer");

    ConsoleCapture unknown = ConsoleCapture.servo("status", "no-such-id", "--server", server, "--token", "tok-acme");
    assertThat(unknown.err()).contains("check the id that ./servo run printed").doesNotContain("POST /v1");
  }
}
