package io.servo.worker.assets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a {@code command} asset runs: in namespaces of its own, so that it cannot see the worker's
 * processes (their {@code /proc/<pid>/environ} holds the HMAC key and database passwords), Servo's
 * data directory, other executions' files, or the network (the metadata server's service account
 * token) unless its tenant was granted the network.
 *
 * <p>The sandbox is util-linux {@code unshare} with new PID (its own {@code /proc}), mount, IPC and
 * UTS namespaces, and a network namespace with nothing but a down loopback unless {@link
 * io.servo.core.tenant.TenantGrants#commandNetwork()}. Inside, a short {@code sh} script (run with a
 * fixed environment; paths reach it as arguments, never interpolated) replaces {@code /tmp} with a
 * fresh tmpfs that holds only the execution's private scratch directory (under the scratch root
 * {@code /tmp/servo-scratch-<random>/<tenant>/}) and the working directory when it is under {@code
 * /tmp}, each at its own path, mounts an empty tmpfs over Servo's data directory and a fresh one
 * over {@code /dev/shm} and {@code /var/tmp}, enters the working directory again through these
 * mounts, then drops privileges with {@code setpriv} (no capabilities, empty bounding set, no new
 * privileges) before anything the tenant controls runs:
 *
 * <ul>
 *   <li>{@link Mode#ROOT} (the worker runs as root): the namespaces belong to the host's user
 *       namespace and the child runs as a uid/gid of its tenant ({@link #uidFor}), so it cannot read
 *       root's files either.
 *   <li>{@link Mode#USER_NAMESPACE} (no root, but unprivileged user namespaces): a new user
 *       namespace maps the worker's uid to root, which mounts and then gives up every capability;
 *       the child keeps the worker's uid on the host, so files are hidden by the mounts only.
 *   <li>{@link Mode#NONE}: no sandbox could start. In development commands run as plain child
 *       processes (a warning at start says what is not isolated); elsewhere they fail.
 * </ul>
 *
 * <p>The asset's environment (which holds resolved secrets) never reaches the privileged part: it is
 * written to a file that the script opens and the unprivileged stage reads, so that neither {@code
 * LD_PRELOAD} nor {@code PATH} of a tenant can act on the programs that run as root. A tenant
 * granted the network can reach the metadata server (the worker's service account token): give such
 * a tenant a worker service of its own, with its own service account.
 */
public final class CommandSandbox {
  /** Which isolation the worker could set up. */
  public enum Mode {
    /** The worker is root: namespaces plus a per-tenant uid. */
    ROOT,
    /** Unprivileged user namespace: namespaces, the worker's own uid. */
    USER_NAMESPACE,
    /** No isolation at all (development only). */
    NONE
  }

  static final int FIRST_UID = 200_000;
  static final int UID_RANGE = 1 << 20;
  /** The uid of the start-up probe: below every tenant's. */
  private static final int PROBE_UID = FIRST_UID - 1;
  /** Exit code of the script when it could not set the sandbox up. */
  static final int SETUP_FAILED = 125;
  static final String SETUP_PREFIX = "servo-sandbox: ";
  private static final String WRAPPER_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final Logger log = LoggerFactory.getLogger(CommandSandbox.class);
  /** Tenant of each sandbox uid handed out in this process: two tenants must never share one. */
  private static final Map<Integer, String> UID_TENANTS = new ConcurrentHashMap<>();

  /**
   * Runs as root (or as root of the new user namespace) inside the new namespaces, with the fixed
   * environment {@link #WRAPPER_PATH}. $1 mount, $2 mkdir, $3 the argv file, $4 the execution's
   * scratch directory, $5 an empty staging directory, $6 the working directory, $7 how many hidden
   * paths follow, then those paths, then the unprivileged command. A fresh tmpfs becomes /tmp,
   * holding only the scratch directory and the working directory (when under /tmp) at their paths.
   */
  static final String SETUP_SCRIPT = """
      set -u
      fail() { echo "servo-sandbox: $*" >&2; exit 125; }
      mount=$1 mkdir=$2 items=$3 scratch=$4 stage=$5 work=$6 n=$7
      shift 7
      exec 3<"$items" || fail "cannot open the argument file"
      "$mount" -t tmpfs -o nosuid,nodev,mode=1777 servo-tmp "$stage" || fail "cannot mount a tmpfs"
      keep() {
        case "$1" in
          /tmp/*)
            "$mkdir" -p "$stage${1#/tmp}" && "$mount" --rbind "$1" "$stage${1#/tmp}" \
              || fail "cannot keep $1 in the private /tmp"
            ;;
        esac
      }
      keep "$work"
      keep "$scratch"
      "$mount" --move "$stage" /tmp || fail "cannot mount the private /tmp"
      while [ "$n" -gt 0 ]; do
        if [ -d "$1" ]; then
          "$mount" -t tmpfs -o ro,nosuid,nodev,noexec,size=4k,mode=0555 servo-hidden "$1" \
            || fail "cannot hide $1"
        elif [ -e "$1" ]; then
          "$mount" --bind /dev/null "$1" || fail "cannot hide $1"
        fi
        shift
        n=$((n - 1))
      done
      for d in /dev/shm /var/tmp; do
        if [ -d "$d" ]; then
          "$mount" -t tmpfs -o nosuid,nodev,mode=1777 servo-tmp "$d" || fail "cannot mount $d"
        fi
      done
      # The inherited working directory is the one below the mounts: enter it again through them.
      cd "$work" || fail "cannot enter the working directory $work"
      exec "$@"
      """;

  /**
   * Runs unprivileged: reads the argv file (one item per line, bytes other than [A-Za-z0-9] as
   * octal escapes) from fd 3 and executes {@code env -i -- NAME=VALUE... program args...}. $1 env.
   */
  static final String EXEC_SCRIPT = """
      e=$1
      set --
      while IFS= read -r item; do
        v=$(printf "${item}x")
        set -- "$@" "${v%x}"
      done <&3
      exec 3<&-
      exec "$e" -i -- "$@"
      """;

  private final Mode mode;
  private final boolean development;
  private final String unavailableReason;
  private final Path scratchRoot;
  private final List<Path> hiddenPaths;
  private final Tools tools;

  private record Tools(String unshare, String setpriv, String mount, String mkdir, String env) {}

  private CommandSandbox(Mode mode, boolean development, String unavailableReason, Path scratchRoot,
      List<Path> hiddenPaths, Tools tools) {
    this.mode = mode;
    this.development = development;
    this.unavailableReason = unavailableReason;
    this.scratchRoot = scratchRoot;
    this.hiddenPaths = hiddenPaths;
    this.tools = tools;
  }

  /**
   * Detects the best sandbox this machine allows (by running {@code true} in it) and logs which.
   *
   * @param development whether commands may run unsandboxed when no sandbox can start
   * @param hiddenPaths directories (or files) the child must not see: Servo's data directory
   * @param workdir the commands' working directory: checked to be readable by the sandbox's uids
   */
  public static CommandSandbox start(boolean development, List<Path> hiddenPaths, Path workdir) {
    List<Mode> candidates = isRoot() ? List.of(Mode.ROOT, Mode.USER_NAMESPACE)
        : List.of(Mode.USER_NAMESPACE);
    CommandSandbox sandbox = detect(development, hiddenPaths, candidates);
    sandbox.logChoice(workdir);
    return sandbox;
  }

  /** Commands run as plain child processes, without isolation (tests of the runner itself). */
  static CommandSandbox unsandboxed() {
    return new CommandSandbox(Mode.NONE, true, "disabled", createScratchRoot(), List.of(), null);
  }

  /** The first of {@code candidates} that starts here, else {@link Mode#NONE}. */
  static CommandSandbox detect(boolean development, List<Path> hiddenPaths, List<Mode> candidates) {
    Path root = createScratchRoot();
    List<Path> hidden = new ArrayList<>();
    hiddenPaths.forEach(p -> hidden.add(p.toAbsolutePath().normalize()));
    Tools tools;
    try {
      tools = new Tools(tool("unshare"), tool("setpriv"), tool("mount"), tool("mkdir"), tool("env"));
    } catch (IllegalStateException e) {
      return new CommandSandbox(Mode.NONE, development, e.getMessage(), root, List.copyOf(hidden), null);
    }
    String reason = "no sandbox was tried";
    for (Mode candidate : candidates) {
      CommandSandbox sandbox =
          new CommandSandbox(candidate, development, null, root, List.copyOf(hidden), tools);
      String failure = sandbox.probe();
      if (failure == null) {
        return sandbox;
      }
      reason = candidate + ": " + failure;
      log.debug("command sandbox {} does not start here: {}", candidate, failure);
    }
    return new CommandSandbox(Mode.NONE, development, reason, root, List.copyOf(hidden), null);
  }

  public Mode mode() {
    return mode;
  }

  Path scratchRoot() {
    return scratchRoot;
  }

  /** Why no sandbox is available; null when one is. */
  String unavailableReason() {
    return unavailableReason;
  }

  /** The message of a command that cannot run because no sandbox is available outside development. */
  String refusal() {
    return "command assets need a sandbox (unshare from util-linux, root or unprivileged user "
        + "namespaces); the worker could not start one: " + unavailableReason;
  }

  /** Whether commands may run at all: with a sandbox, or without one in development. */
  boolean mayRun() {
    return mode != Mode.NONE || development;
  }

  private void logChoice(Path workdir) {
    switch (mode) {
      case ROOT -> {
        log.info("command assets run sandboxed: new PID (own /proc), mount, IPC, UTS and (unless the "
            + "tenant is granted it) network namespaces, as a uid of their tenant ({}+), no "
            + "capabilities; hidden: {}", FIRST_UID, hiddenPaths);
        if (!othersMayEnter(workdir)) {
          log.warn("the commands' working directory {} (SERVO_WORKDIR) or a directory above it is not "
              + "readable and searchable by other users: sandboxed commands (which run as a uid of "
              + "their tenant) cannot use it", workdir);
        }
      }
      case USER_NAMESPACE -> log.info("command assets run sandboxed in an unprivileged user namespace: "
          + "new PID (own /proc), mount, IPC, UTS and (unless the tenant is granted it) network "
          + "namespaces, no capabilities, the worker's uid; hidden: {}", hiddenPaths);
      case NONE -> {
        if (development) {
          log.warn("command assets run WITHOUT a sandbox ({}): they run as the worker's user and can "
              + "read the worker's environment (/proc/<pid>/environ: HMAC key, database password), "
              + "Servo's database, other executions' files, and reach the network and the metadata "
              + "server. Acceptable in development only", unavailableReason);
        } else {
          log.error("{}: every command asset will fail", refusal());
        }
      }
    }
  }

  /**
   * The sandbox uid (and gid) of {@code tenant}: {@value #FIRST_UID} plus a hash of its name, stable
   * across restarts and workers.
   *
   * @throws IllegalStateException when another tenant already has that uid in this process
   */
  static int uidFor(String tenant) {
    int uid = uidOf(tenant);
    String owner = UID_TENANTS.putIfAbsent(uid, tenant);
    if (owner != null && !owner.equals(tenant)) {
      throw new IllegalStateException("tenants '" + owner + "' and '" + tenant + "' map to the same "
          + "sandbox uid " + uid + "; they cannot both run command assets on this worker (rename one "
          + "or give it a worker of its own)");
    }
    return uid;
  }

  /** The uid {@link #uidFor} gives {@code tenant}, without claiming it. */
  static int uidOf(String tenant) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256").digest(tenant.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    int hash = ((digest[0] & 0xff) << 24) | ((digest[1] & 0xff) << 16) | ((digest[2] & 0xff) << 8)
        | (digest[3] & 0xff);
    return FIRST_UID + Math.floorMod(hash, UID_RANGE);
  }

  /** A started command's private directory and how to start it; {@link #close()} deletes it. */
  final class Launch implements AutoCloseable {
    private final Path scratch;
    private final Path stage;
    private final Path items;
    final List<String> command;
    final Map<String, String> environment;

    private Launch(Path scratch, Path stage, Path items, List<String> command,
        Map<String, String> environment) {
      this.scratch = scratch;
      this.stage = stage;
      this.items = items;
      this.command = command;
      this.environment = environment;
    }

    /** Deletes the scratch directory and the argument file. */
    @Override
    public void close() {
      if (items != null) {
        deleteTree(items);
      }
      if (stage != null) {
        deleteTree(stage);
      }
      deleteTree(scratch);
    }
  }

  /**
   * Prepares one command: its scratch directory (exported as {@code TMPDIR} and {@code HOME}) and
   * the argv and environment of the process to start.
   *
   * @param childEnv the child's environment, without {@code TMPDIR} and {@code HOME}
   * @throws IllegalStateException with a message for the asset's failure
   */
  Launch prepare(
      AssetContext context, List<String> argv, Map<String, String> childEnv, Path workdir) {
    if (!mayRun()) {
      throw new IllegalStateException(refusal());
    }
    int uid = mode == Mode.ROOT ? uidFor(context.tenant()) : -1;
    Path scratch;
    try {
      Path tenantDir = privateDirectory(scratchRoot.resolve(safeName(context.tenant())));
      scratch = Files.createTempDirectory(tenantDir, safeName(context.executionId()) + "-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      if (mode == Mode.ROOT) {
        Files.setAttribute(scratch, "unix:gid", uid);
        Files.setAttribute(scratch, "unix:uid", uid);
      }
    } catch (IOException e) {
      throw new IllegalStateException("could not create the command's scratch directory under "
          + scratchRoot + ": " + e.getMessage());
    }
    try {
      Map<String, String> env = new java.util.LinkedHashMap<>(childEnv);
      env.putIfAbsent("HOME", scratch.toString());
      env.putIfAbsent("TMPDIR", scratch.toString());
      if (mode == Mode.NONE) {
        return new Launch(scratch, null, null, List.copyOf(argv), env);
      }
      return sandboxed(context, uid, scratch, workdir, argv, env);
    } catch (RuntimeException e) {
      deleteTree(scratch);
      throw e;
    }
  }

  private Launch sandboxed(AssetContext context, int uid, Path scratch, Path workdir,
      List<String> argv, Map<String, String> env) {
    String program = argv.get(0);
    if (program.isEmpty() || program.indexOf('=') >= 0) {
      throw new IllegalStateException("could not start program '" + program + "': a program name "
          + "must not be empty or contain '=' in the sandbox");
    }
    StringBuilder items = new StringBuilder();
    env.forEach((name, value) -> {
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0
          || value.indexOf('\0') >= 0) {
        throw new IllegalStateException("environment variable '" + name.replace("\0", "\\0")
            + "' cannot be passed to a program (empty name, '=' in its name, or a NUL character)");
      }
      items.append(encode(name + "=" + value)).append('\n');
    });
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new IllegalStateException("an argument of the command holds a NUL character");
      }
      items.append(encode(arg)).append('\n');
    }
    Path itemsFile;
    Path stage;
    try {
      stage = Files.createTempDirectory(scratch.getParent(), "stage-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      itemsFile = Files.createTempFile(scratchRoot, "argv-", ".txt",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(itemsFile, items, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException("could not write the command's argument file: " + e.getMessage());
    }
    List<String> command = new ArrayList<>(wrapper(context.grants().commandNetwork(), uid));
    command.addAll(List.of(itemsFile.toString(), scratch.toString(), stage.toString(),
        realPath(workdir).toString(), Integer.toString(hiddenPaths.size())));
    hiddenPaths.forEach(p -> command.add(p.toString()));
    command.addAll(dropPrivileges(uid));
    command.addAll(List.of("/bin/sh", "-c", EXEC_SCRIPT, "sh", tools.env()));
    return new Launch(scratch, stage, itemsFile, List.copyOf(command), Map.of("PATH", WRAPPER_PATH,
        "LC_ALL", "C"));
  }

  /** unshare and the setup script, up to (excluding) the argument file. */
  private List<String> wrapper(boolean network, int uid) {
    List<String> command = new ArrayList<>(List.of(tools.unshare()));
    if (mode == Mode.USER_NAMESPACE) {
      command.addAll(List.of("--user", "--map-root-user"));
    }
    command.addAll(List.of("--pid", "--fork", "--kill-child", "--mount-proc", "--mount",
        "--propagation", "private", "--ipc", "--uts"));
    if (!network) {
      command.add("--net");
    }
    command.addAll(
        List.of("/bin/sh", "-c", SETUP_SCRIPT, "servo-sandbox", tools.mount(), tools.mkdir()));
    return command;
  }

  private List<String> dropPrivileges(int uid) {
    List<String> command = new ArrayList<>(List.of(tools.setpriv()));
    if (mode == Mode.ROOT) {
      command.addAll(List.of("--reuid", Integer.toString(uid), "--regid", Integer.toString(uid),
          "--clear-groups"));
    }
    command.addAll(List.of("--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"));
    return command;
  }

  /** Runs {@code true} in the sandbox; null when it worked, else why not. */
  private String probe() {
    Path scratch = null;
    Path stage = null;
    Path items = null;
    try {
      scratch = Files.createTempDirectory(scratchRoot, "probe-");
      stage = Files.createTempDirectory(scratchRoot, "stage-");
      if (mode == Mode.ROOT) {
        Files.setAttribute(scratch, "unix:gid", PROBE_UID);
        Files.setAttribute(scratch, "unix:uid", PROBE_UID);
      }
      items = Files.createTempFile(scratchRoot, "argv-", ".txt");
      Files.writeString(items, "true\n", StandardCharsets.US_ASCII);
      List<String> command = new ArrayList<>(wrapper(false, PROBE_UID));
      command.addAll(List.of(items.toString(), scratch.toString(), stage.toString(), "/",
          Integer.toString(hiddenPaths.size())));
      hiddenPaths.forEach(p -> command.add(p.toString()));
      command.addAll(dropPrivileges(PROBE_UID));
      command.addAll(List.of("/bin/sh", "-c", EXEC_SCRIPT, "sh", tools.env()));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .directory(Path.of("/").toFile());
      builder.environment().clear();
      builder.environment().putAll(Map.of("PATH", WRAPPER_PATH, "LC_ALL", "C"));
      Process process = builder.start();
      process.getOutputStream().close();
      byte[] output = process.getInputStream().readNBytes(4096);
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        CommandRunner.destroyTree(process);
        return "the probe did not finish within 10 s";
      }
      if (process.exitValue() != 0) {
        return "exit code " + process.exitValue() + ": "
            + new String(output, StandardCharsets.UTF_8).strip();
      }
      return null;
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } finally {
      if (items != null) {
        deleteTree(items);
      }
      if (scratch != null) {
        deleteTree(scratch);
      }
      if (stage != null) {
        deleteTree(stage);
      }
    }
  }

  private static Path realPath(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /**
   * Servo's data to hide from commands: the directory of a SQLite database file (or the file alone
   * when that directory holds the working directory). Other databases are not on this machine.
   */
  public static List<Path> dataPaths(String databaseUrl, Path workdir) {
    String prefix = "jdbc:sqlite:";
    if (databaseUrl == null || !databaseUrl.startsWith(prefix)) {
      return List.of();
    }
    String file = databaseUrl.substring(prefix.length());
    if (file.startsWith("file:")) {
      file = file.substring("file:".length());
    }
    int query = file.indexOf('?');
    if (query >= 0) {
      file = file.substring(0, query);
    }
    if (file.isEmpty() || file.equals(":memory:") || file.contains("mode=memory")) {
      return List.of();
    }
    Path db = Path.of(file).toAbsolutePath().normalize();
    Path dir = db.getParent();
    Path work = workdir.toAbsolutePath().normalize();
    if (dir != null && !work.startsWith(dir)) {
      return List.of(dir);
    }
    log.warn("Servo's database {} is in or above the commands' working directory {}: only the "
        + "database's files are hidden from command assets, put it in a directory of its own", db, work);
    return List.of(db, Path.of(db + "-wal"), Path.of(db + "-shm"), Path.of(db + "-journal"));
  }

  private static String encode(String item) {
    StringBuilder s = new StringBuilder(item.length() + 8);
    for (byte b : item.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        s.append((char) c);
      } else {
        s.append('\\').append(String.format(Locale.ROOT, "%03o", c));
      }
    }
    return s.toString();
  }

  /** A directory name for a tenant or execution: itself when plain, else a hash. */
  private static String safeName(String name) {
    if (SAFE_NAME.matcher(name).matches()) {
      return name;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return "h-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path privateDirectory(Path dir) throws IOException {
    try {
      Files.createDirectory(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // another command of the tenant made it
    }
    return dir;
  }

  private static Path createScratchRoot() {
    try {
      // Under /tmp: the sandbox replaces /tmp with a private tmpfs that holds only the command's own
      // scratch directory, at its path, so every other execution's stays out of sight.
      Path tmp = Path.of("/tmp");
      var mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
      Path root = Files.isDirectory(tmp) ? Files.createTempDirectory(tmp, "servo-scratch-", mode)
          : Files.createTempDirectory("servo-scratch-", mode);
      return root.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the scratch root of command assets", e);
    }
  }

  /** Deletes a file or a tree, making directories writable first (a child may have locked them). */
  static void deleteTree(Path path) {
    try {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      Files.walkFileTree(path, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
          } catch (IOException | UnsupportedOperationException e) {
            // deleting may still work
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      log.warn("could not delete the command's scratch directory {}: {}", path, e.toString());
    }
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Whether others may search every directory down to {@code dir} and read it. */
  private static boolean othersMayEnter(Path dir) {
    try {
      Path p = dir.toRealPath();
      Set<PosixFilePermission> own = Files.getPosixFilePermissions(p);
      if (!own.contains(PosixFilePermission.OTHERS_READ)) {
        return false;
      }
      for (; p != null; p = p.getParent()) {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return false;
        }
      }
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static String tool(String name) {
    for (String dir : WRAPPER_PATH.split(":")) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException(name + " was not found in " + WRAPPER_PATH);
  }
}
