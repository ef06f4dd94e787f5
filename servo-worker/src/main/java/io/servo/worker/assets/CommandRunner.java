package io.servo.worker.assets;

import io.servo.core.workflow.Asset;
import io.servo.core.workflow.CommandAsset;
import io.servo.settings.DurationText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@code command} asset as a subprocess from its argv list, never through a shell. The child
 * gets a small allow-list of the worker's environment plus the asset's own {@code env}: the worker's
 * environment holds the HMAC secret and database passwords. It runs in the worker's {@link
 * CommandSandbox} with a private scratch directory as {@code HOME} and {@code TMPDIR}, deleted when
 * it ends.
 */
final class CommandRunner implements AssetRunner {
  /** The only worker variables a child inherits. */
  static final List<String> INHERITED_VARIABLES = List.of("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME");
  static final int STDERR_TAIL_BYTES = 2048;
  static final int STDOUT_TAIL_BYTES = 512;
  /** How long a process gets between SIGTERM and SIGKILL, and its pipes to drain after it exits. */
  private static final long GRACE_MILLIS = 2000;
  /** What {@code env} prints when it cannot execute the program. */
  private static final Pattern ENV_FAILURE = Pattern.compile("(/usr/bin/|/bin/)?env: [^\n]*");
  private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);

  private final Map<String, String> workerEnvironment;
  private final Path workdir;
  private final Consumer<Map<String, String>> completeEnvironment;
  private final CommandSandbox sandbox;

  /** A runner without a sandbox: tests of the runner itself. */
  CommandRunner(Map<String, String> workerEnvironment, Path workdir) {
    this(workerEnvironment, workdir, env -> {}, CommandSandbox.unsandboxed());
  }

  /**
   * @param completeEnvironment adds to each child's environment just before it starts (tracing)
   * @param sandbox where children run
   */
  CommandRunner(Map<String, String> workerEnvironment, Path workdir,
      Consumer<Map<String, String>> completeEnvironment, CommandSandbox sandbox) {
    this.workerEnvironment = workerEnvironment;
    this.workdir = workdir;
    this.completeEnvironment = completeEnvironment;
    this.sandbox = sandbox;
  }

  @Override
  public AssetOutcome run(AssetContext context, Asset asset) throws InterruptedException {
    CommandAsset command = (CommandAsset) asset;
    EnvResolution env = new EnvResolution(workerEnvironment, context.grants());
    Map<String, String> childEnv = new LinkedHashMap<>();
    for (String name : INHERITED_VARIABLES) {
      String value = workerEnvironment.get(name);
      if (value != null) {
        childEnv.put(name, value);
      }
    }
    try {
      command.env().forEach((name, template) -> childEnv.put(name, env.resolve(template)));
    } catch (IllegalStateException e) {
      return AssetOutcome.failed(e.getMessage());
    }
    ResolvedValueMask mask = env.mask();
    completeEnvironment.accept(childEnv);

    String program = command.command().get(0);
    CommandSandbox.Launch launch;
    try {
      launch = sandbox.prepare(context, command.command(), childEnv, workdir);
    } catch (IllegalStateException e) {
      return AssetOutcome.failed(mask.redact(e.getMessage()));
    }
    try (launch) {
      return runProcess(asset, program, launch, mask);
    }
  }

  private AssetOutcome runProcess(Asset asset, String program, CommandSandbox.Launch launch,
      ResolvedValueMask mask) throws InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(launch.command).directory(workdir.toFile());
    builder.environment().clear();
    builder.environment().putAll(launch.environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException | RuntimeException e) {
      return AssetOutcome.failed(couldNotStart(program, startFailureReason(e, mask)));
    }
    closeQuietly(process);
    TailBuffer stdout = new TailBuffer(STDOUT_TAIL_BYTES + mask.maxValueBytes());
    TailBuffer stderr = new TailBuffer(STDERR_TAIL_BYTES + mask.maxValueBytes());
    Thread outDrain = drain(process.getInputStream(), stdout, asset.name() + "-stdout");
    Thread errDrain = drain(process.getErrorStream(), stderr, asset.name() + "-stderr");

    boolean exited;
    try {
      exited = process.waitFor(asset.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      destroyTree(process);
      throw e;
    }
    if (!exited) {
      destroyTree(process);
    }
    // A grandchild that outlives the process may hold the pipes open: wait for the drains only briefly.
    outDrain.join(GRACE_MILLIS);
    errDrain.join(GRACE_MILLIS);

    String outTail = stdout.tail(mask, STDOUT_TAIL_BYTES);
    String errTail = stderr.tail(mask, STDERR_TAIL_BYTES);
    if (!exited) {
      log.info("command asset {} timed out after {}; killed it and its child processes",
          asset.name(), DurationText.format(asset.timeout()));
      return AssetOutcome.timedOut(
          "timed out after " + DurationText.format(asset.timeout())
              + "; the process and its child processes were killed",
          summary("killed", outTail, errTail));
    }
    int exitCode = process.exitValue();
    if (sandbox.mode() != CommandSandbox.Mode.NONE) {
      AssetOutcome wrapperFailure = wrapperFailure(program, exitCode, errTail);
      if (wrapperFailure != null) {
        return wrapperFailure;
      }
    }
    String output = summary("exit code " + exitCode, outTail, errTail);
    if (exitCode == 0) {
      return AssetOutcome.succeeded(output);
    }
    return AssetOutcome.failed(
        "exit code " + exitCode + (errTail.isBlank() ? "" : ": " + errTail.strip()), output);
  }

  private String couldNotStart(String program, String reason) {
    return "could not start program '" + program + "': " + reason
        + " (no shell is used: give the program and its arguments as a list; the program is "
        + "looked up on " + (sandbox.mode() == CommandSandbox.Mode.NONE ? "the worker's PATH"
            : "the command's PATH (the worker's unless its env sets one) in the sandbox")
        + " and run in " + workdir + ")";
  }

  /**
   * The sandbox's own failures: setting it up (exit {@value CommandSandbox#SETUP_FAILED}), or {@code
   * env} not finding or not executing the program (127 or 126 with env's message on stderr).
   */
  private AssetOutcome wrapperFailure(String program, int exitCode, String errTail) {
    String err = errTail.strip();
    if (exitCode == CommandSandbox.SETUP_FAILED && err.contains(CommandSandbox.SETUP_PREFIX)) {
      return AssetOutcome.failed("the command sandbox could not be set up: " + err);
    }
    if ((exitCode == 127 || exitCode == 126) && ENV_FAILURE.matcher(err).matches()) {
      String reason = err.substring(err.lastIndexOf(": ") + 2);
      if (exitCode == 126) {
        reason += " (the sandbox's user may not execute it, or may not search a directory on PATH)";
      }
      return AssetOutcome.failed(couldNotStart(program, reason));
    }
    return null;
  }

  private static String summary(String status, String outTail, String errTail) {
    StringBuilder s = new StringBuilder(status);
    if (!outTail.isEmpty()) {
      s.append("\nstdout (tail):\n").append(outTail.stripTrailing());
    }
    if (!errTail.isEmpty()) {
      s.append("\nstderr (tail):\n").append(errTail.stripTrailing());
    }
    return s.toString();
  }

  private static String startFailureReason(Exception e, ResolvedValueMask mask) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    // "Cannot run program "x" (in directory "…"): error=2, No such file or directory"
    int errno = message.indexOf("error=");
    int comma = errno < 0 ? -1 : message.indexOf(", ", errno);
    if (comma > 0) {
      message = message.substring(comma + 2);
    }
    return mask.redact(message);
  }

  private static Thread drain(InputStream in, TailBuffer into, String name) {
    Thread thread = new Thread(() -> {
      byte[] chunk = new byte[8192];
      try (in) {
        for (int n; (n = in.read(chunk)) >= 0; ) {
          into.write(chunk, 0, n);
        }
      } catch (IOException e) {
        // The pipe closed under us (the process was killed): what was read is kept.
      }
    }, "servo-command-" + name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /**
   * Ends the process and every process it started: SIGTERM to all, then SIGKILL to those still alive
   * after a grace period. Descendants are listed before the parent dies, because once it has, its
   * children are re-parented and no longer reachable from it.
   */
  static void destroyTree(Process process) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      process.waitFor(GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (process.isAlive()) {
      process.descendants().filter(h -> !tree.contains(h)).forEach(tree::add);
    }
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  private static void closeQuietly(Process process) {
    try {
      process.getOutputStream().close(); // the child reads end-of-file, never waits on stdin
    } catch (IOException e) {
      // nothing to do: the child may already have exited
    }
  }
}
