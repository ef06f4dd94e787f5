package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.AssetStatus;
import io.servo.core.workflow.CommandAsset;
import io.servo.worker.support.TestPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandRunnerTest {
  private static final String SECRET = "s3cr3t-api-key-value";
  private static final String HMAC = "hmac-secret-that-must-never-reach-a-child-process";

  @TempDir Path dir;
  private TestPrograms probe;
  private CommandRunner runner;

  @BeforeEach
  void setUp() {
    probe = TestPrograms.writeTo(dir);
    Map<String, String> workerEnv = Map.of(
        "PATH", System.getenv("PATH"),
        "SERVO_HMAC_SECRET", HMAC,
        "SERVO_DATABASE_URL", "jdbc:postgresql://db/servo?password=hunter2",
        "API_KEY", SECRET);
    runner = new CommandRunner(workerEnv, dir);
  }

  @Test
  void childGetsResolvedReferencesButNotTheWorkersSecretsAndOutputIsRedacted() throws Exception {
    var asset = new CommandAsset("probe", List.of(), Duration.ofSeconds(60),
        probe.command("print-env", "API_KEY", "SERVO_HMAC_SECRET", "SERVO_DATABASE_URL", "PATH"),
        Map.of("API_KEY", "${env:API_KEY}"));

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(outcome.output())
        .startsWith("exit code 0")
        .contains("API_KEY=[REDACTED]")
        .contains("SERVO_HMAC_SECRET=null")
        .contains("SERVO_DATABASE_URL=null")
        .contains("PATH=" + System.getenv("PATH"))
        .doesNotContain(SECRET);
  }

  @Test
  void nonZeroExitFailsWithTheExitCodeAndStderrTail() throws Exception {
    var asset = new CommandAsset("fails", List.of(), Duration.ofSeconds(60),
        probe.command("fail", "3", "something broke"), Map.of());

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.timedOut()).isFalse();
    assertThat(outcome.error()).isEqualTo("exit code 3: something broke");
    assertThat(outcome.output()).startsWith("exit code 3").contains("something broke");
  }

  @Test
  void missingProgramFailsWithAClearMessage() throws Exception {
    var asset = new CommandAsset("missing", List.of(), Duration.ofSeconds(5),
        List.of("no-such-program-servo-test"), Map.of());

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error())
        .startsWith("could not start program 'no-such-program-servo-test': No such file or directory");
  }

  @Test
  void unsetReferenceFailsNamingTheVariable() throws Exception {
    var asset = new CommandAsset("unset", List.of(), Duration.ofSeconds(5),
        probe.command("print-env", "X"), Map.of("X", "${env:NOT_SET_ANYWHERE}"));

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).contains("NOT_SET_ANYWHERE").contains("not set on the worker");
  }

  @Test
  void timeoutKillsTheProcessAndItsChildren() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    // A shell, not the Java probe: under load a JVM can take longer than the timeout to start, and
    // then no child exists when the timeout fires (seen on 2 busy cores). A shell has its child in
    // milliseconds.
    var asset = new CommandAsset("slow", List.of(), Duration.ofSeconds(6),
        List.of("/bin/sh", "-c", "sleep 300 & echo $! > \"$1\"; wait", "sh", pidFile.toString()), Map.of());

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.timedOut()).isTrue();
    assertThat(outcome.error()).startsWith("timed out after 6s");
    long childPid = Long.parseLong(Files.readString(pidFile).trim());
    await().atMost(Duration.ofSeconds(10)).until(
        () -> ProcessHandle.of(childPid).map(h -> !h.isAlive()).orElse(true));
  }
}
