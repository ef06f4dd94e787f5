package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.AssetStatus;
import io.servo.core.tenant.TenantGrants;
import io.servo.core.workflow.AssetKind;
import io.servo.core.workflow.CommandAsset;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A command asset in the sandbox cannot reach the worker's secrets or other tenants' data: not
 * through /proc, files, the environment or the network. Runs each case in every sandbox this machine
 * can start (as root: both); skipped where none starts (a laptop without unshare).
 */
class CommandSandboxTest {
  private static final String HMAC = "hmac-secret-that-must-never-reach-a-child-process";
  private static final String API_KEY = "s3cr3t-api-key-value";
  private static final String DB_SECRET = "servo-database-content-secret";
  private static final String OTHER_SECRET = "other-execution-secret";

  @TempDir Path dir;
  private Path workdir;
  private Path dataDir;
  private CommandSandbox sandbox;
  private CommandRunner runner;

  @BeforeEach
  void setUp() throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    workdir = Files.createDirectory(dir.resolve("work"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    // As in development: Servo's .servo directory inside the commands' working directory.
    dataDir = Files.createDirectory(workdir.resolve(".servo"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Path db = Files.writeString(dataDir.resolve("servo.db"), DB_SECRET);
    // World-readable on purpose: only the mount hides it.
    Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
  }

  @AfterEach
  void tearDown() {
    if (sandbox != null) {
      CommandSandbox.deleteTree(sandbox.scratchRoot());
    }
  }

  private void start(CommandSandbox.Mode mode) {
    sandbox = CommandSandbox.detect(false, List.of(dataDir), List.of(mode));
    assumeThat(sandbox.mode()).as("sandbox %s starts here: %s", mode, sandbox.unavailableReason())
        .isEqualTo(mode);
    Map<String, String> workerEnv = Map.of(
        "PATH", "/usr/local/bin:/usr/bin:/bin",
        "HOME", "/root/worker-home",
        "SERVO_HMAC_SECRET", HMAC,
        "SERVO_DATABASE_URL", "jdbc:postgresql://db/servo?password=hunter2",
        "API_KEY", API_KEY);
    runner = new CommandRunner(workerEnv, workdir, env -> env.put("TRACEPARENT", "00-trace"), sandbox);
  }

  private AssetOutcome sh(String script, Map<String, String> env, String... args) throws Exception {
    return sh(TestContexts.permissive(), script, env, args);
  }

  private AssetOutcome sh(AssetContext context, String script, Map<String, String> env, String... args)
      throws Exception {
    List<String> argv = new java.util.ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
    argv.addAll(Arrays.asList(args));
    return runner.run(context, new CommandAsset("probe", List.of(), Duration.ofSeconds(30), argv, env));
  }

  @ParameterizedTest
  @EnumSource(names = {"ROOT", "USER_NAMESPACE"})
  void theChildSeesOnlyItsOwnProcessesAndEnvironment(CommandSandbox.Mode mode) throws Exception {
    start(mode);
    long jvm = ProcessHandle.current().pid();
    assumeThat(jvm).isGreaterThan(50);

    AssetOutcome outcome = sh("""
        echo "pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')"
        cat /proc/$1/environ >/dev/null 2>&1 && echo READ-JVM-ENVIRON
        cat /proc/$1/cmdline >/dev/null 2>&1 && echo READ-JVM-CMDLINE
        tr '\\0' '\\n' </proc/1/environ | grep -E '^(MARKER|API_KEY|TRACEPARENT|HOME|TMPDIR)=' | sort
        echo "worker secrets: $(env | grep -c -E 'SERVO_|hunter2')"
        """, Map.of("MARKER", "inside", "API_KEY", "${env:API_KEY}"), Long.toString(jvm));

    assertThat(outcome.status()).as(outcome.toString()).isEqualTo(AssetStatus.SUCCEEDED);
    String out = outcome.output();
    assertThat(out).doesNotContain("READ-JVM").doesNotContain(HMAC).doesNotContain(API_KEY)
        .contains("API_KEY=[REDACTED]", "MARKER=inside", "TRACEPARENT=00-trace",
            "HOME=" + sandbox.scratchRoot() + "/default/exec-test-",
            "TMPDIR=" + sandbox.scratchRoot() + "/default/exec-test-")
        .contains("worker secrets: 0");
    String pids = out.lines().filter(l -> l.startsWith("pids: ")).findFirst().orElseThrow();
    assertThat(Arrays.stream(pids.substring(6).trim().split(" ")).mapToLong(Long::parseLong))
        .as("only the sandbox's own processes: " + pids)
        .allMatch(pid -> pid < 50)
        .contains(1L);
  }

  @ParameterizedTest
  @EnumSource(names = {"ROOT", "USER_NAMESPACE"})
  void servosDataAndOtherExecutionsScratchAreHidden(CommandSandbox.Mode mode) throws Exception {
    start(mode);
    Path other = Files.createDirectories(sandbox.scratchRoot().resolve("other/exec-1-123"));
    Files.writeString(other.resolve("secret.txt"), OTHER_SECRET);
    for (Path p = other; !p.equals(sandbox.scratchRoot().getParent()); p = p.getParent()) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.setPosixFilePermissions(other.resolve("secret.txt"), PosixFilePermissions.fromString("rw-r--r--"));

    AssetOutcome outcome = sh("""
        cat .servo/servo.db "$1/servo.db" 2>/dev/null; echo "data: [$(ls -A .servo 2>&1)|$(ls -A "$1" 2>&1)]"
        cat "$2/secret.txt" 2>/dev/null; echo "root: [$(ls -A "$3" 2>&1)]"
        echo "tenant: [$(ls -A "$3/default" | wc -l)]"
        echo mine > "$HOME/file" && cat "$TMPDIR/file"
        echo "tmp: [$(ls -A /tmp | grep -v -e '^servo-scratch-' -e '^junit' | head -c 100)]"
        """, Map.of(), dataDir.toString(), other.toString(), sandbox.scratchRoot().toString());

    assertThat(outcome.status()).as(outcome.toString()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(outcome.output()).doesNotContain(DB_SECRET).doesNotContain(OTHER_SECRET)
        .contains("data: [|]", "root: [default]", "tenant: [1]", "\nmine", "tmp: []")
        .doesNotContain("exec-1-123").doesNotContain("other");
    // The execution's own scratch directory is gone; the other one is untouched.
    try (Stream<Path> left = Files.list(sandbox.scratchRoot().resolve("default"))) {
      assertThat(left).isEmpty();
    }
    assertThat(other.resolve("secret.txt")).exists();
  }

  @Test
  void asRootTheChildRunsAsItsTenantsUidAndCannotReadRootsFiles() throws Exception {
    start(CommandSandbox.Mode.ROOT);
    Path secret = Files.writeString(workdir.resolve("root-only.db"), DB_SECRET);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    Path secretDir = Files.createDirectory(workdir.resolve("root-only"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.writeString(secretDir.resolve("f"), DB_SECRET);

    AssetOutcome outcome = sh("""
        echo "id: $(id -u):$(id -g) groups: $(id -G)"
        cat root-only.db; cat root-only/f; ls root-only
        grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status
        echo "tmp owner: $(stat -c '%u %a' "$TMPDIR")"
        """, Map.of());

    int uid = CommandSandbox.uidFor("default");
    assertThat(outcome.output()).doesNotContain(DB_SECRET)
        .contains("id: " + uid + ":" + uid + " groups: " + uid)
        .contains("Permission denied")
        .containsPattern("CapEff:\\s+0000000000000000")
        .containsPattern("CapBnd:\\s+0000000000000000")
        .containsPattern("NoNewPrivs:\\s+1")
        .contains("tmp owner: " + uid + " 700");
  }

  @ParameterizedTest
  @EnumSource(names = {"ROOT", "USER_NAMESPACE"})
  void noNetworkWithoutTheGrantTheHostsNetworkWithIt(CommandSandbox.Mode mode) throws Exception {
    start(mode);
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String port = Integer.toString(server.getLocalPort());
      String script = """
          bash -c "echo > /dev/tcp/127.0.0.1/$1" 2>/dev/null && echo LOOPBACK-CONNECTED
          [ "$2" = probe-metadata ] && { bash -c 'echo > /dev/tcp/169.254.169.254/80' 2>/dev/null \
              && echo METADATA-CONNECTED; }
          echo done
          """;
      var grants = new TenantGrants("default", Set.of("*"), EnumSet.allOf(AssetKind.class),
          List.of(), null, false);
      AssetOutcome without = sh(new AssetContext("default", "exec-net", grants), script, Map.of(),
          port, "probe-metadata");
      AssetOutcome with = sh(TestContexts.permissive(), script, Map.of(), port, "-");

      assertThat(without.output()).contains("done").doesNotContain("CONNECTED");
      assertThat(with.output()).contains("LOOPBACK-CONNECTED", "done");
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"ROOT", "USER_NAMESPACE"})
  void timeoutKillsTheWholeSandboxIncludingGrandchildren(CommandSandbox.Mode mode) throws Exception {
    start(mode);
    // A unique duration marks the grandchild among the host's processes.
    String marker = "3600." + ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999);
    var asset = new CommandAsset("slow", List.of(), Duration.ofSeconds(3),
        List.of("/bin/sh", "-c", "sh -c 'sleep \"$1\"; echo never' sh \"$1\" & echo started; wait",
            "sh", marker), Map.of());

    CompletableFuture<AssetOutcome> run = CompletableFuture.supplyAsync(() -> {
      try {
        return runner.run(TestContexts.permissive(), asset);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    ProcessHandle sleeper = await().atMost(Duration.ofSeconds(20))
        .until(() -> findProcess("sleep", marker), Optional::isPresent).orElseThrow();
    AssetOutcome outcome = run.get(30, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.timedOut()).isTrue();
    assertThat(outcome.error()).startsWith("timed out after 3s");
    assertThat(outcome.output()).contains("started").doesNotContain("never");
    await().atMost(Duration.ofSeconds(10)).until(() -> !sleeper.isAlive());
  }

  private static Optional<ProcessHandle> findProcess(String command, String argument) {
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().command().map(c -> c.endsWith("/" + command)).orElse(false))
        .filter(h -> h.info().arguments().map(a -> Arrays.asList(a).contains(argument)).orElse(false))
        .findFirst();
  }

  @ParameterizedTest
  @EnumSource(names = {"ROOT", "USER_NAMESPACE"})
  void missingProgramFailsWithAClearMessage(CommandSandbox.Mode mode) throws Exception {
    start(mode);
    var asset = new CommandAsset("missing", List.of(), Duration.ofSeconds(10),
        List.of("no-such-program-servo-test"), Map.of());

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error())
        .startsWith("could not start program 'no-such-program-servo-test': No such file or directory");
  }

  @ParameterizedTest
  @EnumSource(names = {"ROOT", "USER_NAMESPACE"})
  void argumentsAndValuesReachTheProgramByteForByte(CommandSandbox.Mode mode) throws Exception {
    start(mode);
    String odd = "a b\t'\"$HOME\\n%s%%;`x`\nline2 é -- =";

    AssetOutcome outcome = sh("""
        [ "$1" = "$ODD" ] && [ "$2" = "" ] && [ "$3" = "-i" ] && echo SAME
        """, Map.of("ODD", odd, "LD_PRELOAD", "/nonexistent/evil.so"), odd, "", "-i");

    assertThat(outcome.status()).as(outcome.toString()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(outcome.output()).contains("SAME");
  }

  @Test
  void withoutASandboxCommandsFailOutsideDevelopment() throws Exception {
    sandbox = CommandSandbox.detect(false, List.of(), List.of());
    runner = new CommandRunner(Map.of("PATH", System.getenv("PATH")), workdir, env -> {}, sandbox);

    AssetOutcome outcome = sh("echo ran", Map.of());

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).startsWith("command assets need a sandbox (unshare from util-linux, "
        + "root or unprivileged user namespaces); the worker could not start one: ");
  }

  @Test
  void tenantUidsAreStableHighAndNeverShared() {
    assertThat(CommandSandbox.uidOf("acme")).isEqualTo(CommandSandbox.uidOf("acme"))
        .isBetween(CommandSandbox.FIRST_UID, CommandSandbox.FIRST_UID + CommandSandbox.UID_RANGE - 1);
    Map<Integer, String> seen = new HashMap<>();
    String[] pair = null;
    for (int i = 0; pair == null; i++) {
      String tenant = "collide-" + i;
      String earlier = seen.putIfAbsent(CommandSandbox.uidOf(tenant), tenant);
      if (earlier != null) {
        pair = new String[] {earlier, tenant};
      }
    }
    int uid = CommandSandbox.uidFor(pair[0]);
    assertThat(CommandSandbox.uidFor(pair[0])).isEqualTo(uid);
    String second = pair[1];
    assertThatThrownBy(() -> CommandSandbox.uidFor(second))
        .hasMessageContaining("map to the same sandbox uid " + uid);
  }

  @Test
  void theDataDirectoryOfASqliteDatabaseIsHidden() {
    Path work = Path.of("/srv/servo/work");
    assertThat(CommandSandbox.dataPaths("jdbc:sqlite:/srv/servo/.servo/servo.db", work))
        .containsExactly(Path.of("/srv/servo/.servo"));
    assertThat(CommandSandbox.dataPaths("jdbc:sqlite:/srv/servo/servo.db?journal_mode=wal", work))
        .contains(Path.of("/srv/servo/servo.db"), Path.of("/srv/servo/servo.db-wal"));
    assertThat(CommandSandbox.dataPaths("jdbc:postgresql://db/servo", work)).isEmpty();
    assertThat(CommandSandbox.dataPaths("jdbc:sqlite::memory:", work)).isEmpty();
  }
}
