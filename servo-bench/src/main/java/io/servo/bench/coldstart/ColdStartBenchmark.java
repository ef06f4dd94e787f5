package io.servo.bench.coldstart;

import io.servo.bench.coldstart.ServiceLauncher.ColdStart;
import io.servo.bench.e2e.BenchDatabase;
import io.servo.bench.e2e.Configuration;
import io.servo.bench.e2e.HealthPoll;
import io.servo.bench.e2e.Javaagent;
import io.servo.testing.otlp.OtlpReceiver;
import io.servo.bench.e2e.Percentiles;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * Cold starts of the shipped services, what a Cloud Run user waits for when an instance starts:
 * {@code java -jar servo.jar orchestrator} and {@code … worker}, one JVM at a time, each timed from
 * {@link ProcessBuilder#start()} to its first 200 on {@code GET /health}, under tracing disabled
 * (a), Servo's tracing at 1.0 (c) and the Java agent at 1.0 (d); (a) and (c) also with the
 * class-data archive the image ships ({@code servo cds-archive}, made once before the rounds).
 *
 * <p>The starts run in rounds. A round starts every service under every configuration once, in an
 * order shuffled per round with a fixed seed, so drift of the machine falls on all of them alike and
 * a run can be repeated in the same order. Round 0 is discarded: it warms the file cache, and its
 * first start migrates the empty database. A configuration's effect is the median of its per-round
 * differences to (a) of the same service and round, with a distribution-free interval
 * ({@link MedianInterval}); a start with the archive is compared with (a) with the archive, and
 * also with the same configuration without it, of the same round. In quick mode the agent, whose
 * starts take several seconds, runs in every other round only.
 */
public final class ColdStartBenchmark {
  /** Issue #6; any fixed value would do. */
  static final long SEED = 6;
  static final List<Configuration> CONFIGURATIONS =
      List.of(Configuration.DISABLED, Configuration.SERVO_100PCT, Configuration.AGENT_100PCT);
  /** What also starts with the archive: the agent's own start is not what the image ships. */
  static final List<Configuration> ARCHIVED =
      List.of(Configuration.DISABLED, Configuration.SERVO_100PCT);

  /**
   * How many starts.
   *
   * @param rounds measured rounds, after the warm-up round
   * @param agentEvery the agent's configurations run in round 0 and every {@code agentEvery}-th round
   */
  public record Effort(int rounds, int agentEvery) {
    public static final Effort QUICK = new Effort(6, 2);
    public static final Effort THOROUGH = new Effort(25, 1);

    public Effort {
      if (rounds < 1 || agentEvery < 1) {
        throw new IllegalArgumentException("rounds and agentEvery must be at least 1, not " + rounds + " and " + agentEvery);
      }
    }

    boolean agentIn(int round) {
      return round % agentEvery == 0;
    }
  }

  /** One start of one service under one configuration, with or without the class-data archive. */
  record Start(Service service, Configuration configuration, boolean archived) {
    String label() {
      return service + "/" + configuration.label() + (archived ? "+cds" : "");
    }
  }

  /**
   * The start times of one service under one configuration, over the measured rounds.
   *
   * @param archived whether the starts mapped the class-data archive
   * @param delta the per-round differences to (a) of the same service and archive, in ms; empty for
   *     (a) itself
   * @param cpuMedianMillis the median CPU time used until the first answer
   * @param cpuDelta the per-round differences of that CPU time to (a), in ms; empty for (a) itself
   * @param archiveDelta the per-round differences to the same configuration without the archive,
   *     in ms: what the archive saves (negative); empty for starts without it
   * @param archiveCpuDelta the same for the CPU time
   */
  public record Figures(Service service, Configuration configuration, boolean archived, int starts,
      double medianMillis, double p10Millis, double p90Millis, double minMillis, double maxMillis,
      MedianInterval delta, double cpuMedianMillis, MedianInterval cpuDelta, MedianInterval archiveDelta,
      MedianInterval archiveCpuDelta) {}

  /** Everything one run measured; {@code otlpSpans} counts what each configuration exported meanwhile. */
  public record Result(Effort effort, long seed, List<Figures> figures, Map<Configuration, Long> otlpSpans) {
    /** The figures of the starts without the archive. */
    public Figures of(Service service, Configuration configuration) {
      return of(service, configuration, false);
    }

    public Figures of(Service service, Configuration configuration, boolean archived) {
      return figures.stream().filter(f -> f.service() == service && f.configuration() == configuration
          && f.archived() == archived).findFirst().orElseThrow();
    }
  }

  private ColdStartBenchmark() {}

  /** Runs the benchmark; {@code javaOptions} are given to every service's JVM. */
  public static Result run(Effort effort, List<String> javaOptions, PrintStream log)
      throws IOException, InterruptedException, SQLException {
    Path home = home();
    Path servoJar = servoJar(home, log);
    // As the image does at build time; the archives also stay next to the jar for ./servo to use.
    Map<Service, Path> archives = ClassDataArchives.make(home, servoJar, javaOptions);
    log.println("  coldstart: class-data archives " + archives.values());
    Path agent = Javaagent.locate();
    String server = System.getenv().getOrDefault("SERVO_BENCH_POSTGRES_URL", BenchDatabase.DEFAULT_SERVER);
    String name = "servo_bench_" + UUID.randomUUID().toString().substring(0, 8) + "_coldstart";
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
        .version(HttpClient.Version.HTTP_1_1).build();
    List<List<Start>> schedule = schedule(effort, SEED);
    Map<Start, SortedMap<Integer, ColdStart>> measured = new LinkedHashMap<>();
    BenchDatabase database = BenchDatabase.create(server, name);
    ServiceLauncher launcher = new ServiceLauncher(servoJar, agent, javaOptions, database.url(), client);
    // Ctrl-C or SIGTERM: stop the service that is starting and drop the database all the same.
    Thread cleanup = new Thread(() -> {
      launcher.kill();
      drop(database);
    }, "servo-bench-coldstart-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try (OtlpReceiver receiver = OtlpReceiver.counting()) {
      try {
        for (int round = 0; round < schedule.size(); round++) {
          StringBuilder line = new StringBuilder();
          for (Start start : schedule.get(round)) {
            ColdStart took = launcher.start(start.service(), start.configuration(),
                start.archived() ? archives.get(start.service()) : null,
                receiver.tracesEndpoint(start.configuration().label()));
            measured.computeIfAbsent(start, k -> new TreeMap<>()).put(round, took);
            line.append(String.format(Locale.ROOT, " %s=%.0f", start.label(), took.wallNanos() / 1e6));
          }
          log.printf("  coldstart: round %d/%d%s ms:%s%n", round + 1, schedule.size(),
              round == 0 ? " (warm-up, discarded)" : "", line);
        }
      } finally {
        Runtime.getRuntime().removeShutdownHook(cleanup);
        drop(database);
      }
      Map<Configuration, Long> spans = new EnumMap<>(Configuration.class);
      CONFIGURATIONS.forEach(c -> spans.put(c, receiver.spans(c.label())));
      return new Result(effort, SEED, figures(measured), spans);
    }
  }

  /**
   * Every round's starts, round 0 (the warm-up) first, each round in its own shuffled order; the
   * agent's starts only in the rounds {@link Effort#agentIn} names; {@link #ARCHIVED} also with
   * the archive.
   */
  static List<List<Start>> schedule(Effort effort, long seed) {
    Random random = new Random(seed);
    List<List<Start>> rounds = new ArrayList<>();
    for (int round = 0; round <= effort.rounds(); round++) {
      List<Start> starts = new ArrayList<>();
      for (Service service : Service.values()) {
        for (Configuration configuration : CONFIGURATIONS) {
          if (!configuration.agent() || effort.agentIn(round)) {
            starts.add(new Start(service, configuration, false));
          }
        }
        for (Configuration configuration : ARCHIVED) {
          starts.add(new Start(service, configuration, true));
        }
      }
      Collections.shuffle(starts, random);
      rounds.add(List.copyOf(starts));
    }
    return rounds;
  }

  /**
   * The figures of every start's measured rounds (round 0 left out), in service, archive,
   * configuration order.
   */
  static List<Figures> figures(Map<Start, SortedMap<Integer, ColdStart>> byRound) {
    List<Figures> figures = new ArrayList<>();
    for (Service service : Service.values()) {
      for (boolean archived : new boolean[] {false, true}) {
        SortedMap<Integer, ColdStart> baseline = rounds(byRound, new Start(service, Configuration.DISABLED, archived));
        for (Configuration configuration : archived ? ARCHIVED : CONFIGURATIONS) {
          SortedMap<Integer, ColdStart> measured = rounds(byRound, new Start(service, configuration, archived));
          SortedMap<Integer, ColdStart> unarchived = rounds(byRound, new Start(service, configuration, false));
          SortedMap<Integer, Double> wall = millis(measured, ColdStart::wallNanos);
          SortedMap<Integer, Double> cpu = millis(measured, ColdStart::cpuNanos);
          boolean isBaseline = configuration == Configuration.DISABLED;
          Percentiles percentiles = new Percentiles(measured.values().stream().mapToLong(ColdStart::wallNanos).toArray());
          figures.add(new Figures(service, configuration, archived, measured.size(), median(wall),
              percentiles.at(10) / 1e6, percentiles.at(90) / 1e6, percentiles.at(0) / 1e6, percentiles.at(100) / 1e6,
              isBaseline ? MedianInterval.of() : MedianInterval.ofDifferences(wall, millis(baseline, ColdStart::wallNanos)),
              median(cpu),
              isBaseline ? MedianInterval.of() : MedianInterval.ofDifferences(cpu, millis(baseline, ColdStart::cpuNanos)),
              archived ? MedianInterval.ofDifferences(wall, millis(unarchived, ColdStart::wallNanos)) : MedianInterval.of(),
              archived ? MedianInterval.ofDifferences(cpu, millis(unarchived, ColdStart::cpuNanos)) : MedianInterval.of()));
        }
      }
    }
    return figures;
  }

  private static SortedMap<Integer, ColdStart> rounds(Map<Start, SortedMap<Integer, ColdStart>> byRound, Start start) {
    return byRound.getOrDefault(start, new TreeMap<>()).tailMap(1);
  }

  /** Milliseconds by round; rounds without the figure (negative) are left out. */
  private static SortedMap<Integer, Double> millis(SortedMap<Integer, ColdStart> byRound, ToLongFunction<ColdStart> nanos) {
    SortedMap<Integer, Double> millis = new TreeMap<>();
    byRound.forEach((round, start) -> {
      if (nanos.applyAsLong(start) >= 0) {
        millis.put(round, nanos.applyAsLong(start) / 1e6);
      }
    });
    return millis;
  }

  private static double median(SortedMap<Integer, Double> millis) {
    return MedianInterval.of(millis.values().stream().mapToDouble(Double::doubleValue).toArray()).median();
  }

  /** A Markdown table of {@code result}, with how to read it. */
  public static String table(Result result) {
    StringBuilder out = new StringBuilder();
    out.append("| service | configuration | starts | median ms | p10–p90 ms | min–max ms "
        + "| Δ vs (a), median ms | 95% CI of Δ, ms (coverage) | CPU ms, median | CPU Δ vs (a), median [95% CI] "
        + "| archive Δ, median [95% CI] | archive CPU Δ, median [95% CI] |\n");
    out.append("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n");
    for (Figures f : result.figures()) {
      MedianInterval d = f.delta();
      out.append(String.format(Locale.ROOT, "| %s | %s%s | %d | %.0f | %.0f–%.0f | %.0f–%.0f | %s | %s | %.0f | %s | %s | %s |%n",
          f.service(), f.configuration(), f.archived() ? " + CDS archive" : "", f.starts(), f.medianMillis(),
          f.p10Millis(), f.p90Millis(), f.minMillis(), f.maxMillis(),
          d.n() == 0 ? "—" : String.format(Locale.ROOT, "%+.0f", d.median()),
          d.n() == 0 ? "—" : String.format(Locale.ROOT, "[%+.0f, %+.0f] (%.1f%%%s)", d.low(), d.high(),
              d.coverage() * 100, d.confident() ? "" : ", too few pairs for 95%"),
          f.cpuMedianMillis(), orDash(f.cpuDelta()), orDash(f.archiveDelta()), orDash(f.archiveCpuDelta())));
    }
    out.append(String.format(Locale.ROOT, "%nStart: from ProcessBuilder.start() of `java -jar servo.jar SERVICE` to "
            + "the first 200 on GET /health, polled every %d ms; one JVM at a time, each stopped (SIGTERM) "
            + "and awaited before the next. %d measured rounds after 1 warm-up round, discarded (file cache, "
            + "JIT of the driver, Flyway migrating the empty database on the first start); the order within a "
            + "round is shuffled (seed %d)%s. p10/p90: nearest rank. Δ: per round, the start minus (a)'s start "
            + "of the same service in the same round; its median, and the distribution-free interval "
            + "[Δ(k), Δ(n−k+1)] of the sorted Δ (binomial order statistics, exact coverage shown; 95%% needs "
            + "at least 6 rounds). CPU: user + system time of the service's JVM, all threads, when it answered "
            + "(10 ms ticks); other processes disturb it less than the start time. + CDS archive: the same start with "
            + "the class-data archive of `servo cds-archive` (-XX:SharedArchiveFile=… -Xshare:auto), as the image "
            + "starts it; Δ vs (a) is then to (a) with the archive, and archive Δ is to the same configuration without "
            + "it in the same round. OTLP spans received during the starts: %s.%n",
        HealthPoll.INTERVAL.toMillis(), result.effort().rounds(), result.seed(),
        result.effort().agentEvery() > 1
            ? ", the agent's starts in every " + ordinal(result.effort().agentEvery()) + " round only"
            : "",
        spans(result.otlpSpans())));
    return out.toString();
  }

  /**
   * The per-round differences to (a) as one line, printed just before the machine-readable line,
   * e.g. {@code coldstart_delta_ms worker: tracing=+85 [+20, +160] agent=+6900 [+6500, +7400];
   * orchestrator: …}.
   */
  public static String deltaLine(Result result) {
    StringBuilder line = new StringBuilder("coldstart_delta_ms");
    Service[] order = {Service.WORKER, Service.ORCHESTRATOR};
    for (int i = 0; i < order.length; i++) {
      line.append(i == 0 ? " " : "; ").append(order[i]).append(": tracing=")
          .append(result.of(order[i], Configuration.SERVO_100PCT).delta().rounded())
          .append(" agent=").append(result.of(order[i], Configuration.AGENT_100PCT).delta().rounded());
    }
    return line.toString();
  }

  /**
   * What the class-data archive saves, per service, as one line printed after {@link #deltaLine},
   * e.g. {@code coldstart_cds_ms worker: a=-480 [-520, -400] a_cpu=-600 [-650, -560] c=… c_cpu=…
   * tracing_with_cds=+60 [+10, +120]; orchestrator: …}: the archive's Δ of (a) and (c), wall and CPU,
   * and tracing's Δ when both start with it.
   */
  public static String archiveLine(Result result) {
    StringBuilder line = new StringBuilder("coldstart_cds_ms");
    Service[] order = {Service.WORKER, Service.ORCHESTRATOR};
    for (int i = 0; i < order.length; i++) {
      Figures a = result.of(order[i], Configuration.DISABLED, true);
      Figures c = result.of(order[i], Configuration.SERVO_100PCT, true);
      line.append(i == 0 ? " " : "; ").append(order[i])
          .append(": a=").append(a.archiveDelta().rounded()).append(" a_cpu=").append(a.archiveCpuDelta().rounded())
          .append(" c=").append(c.archiveDelta().rounded()).append(" c_cpu=").append(c.archiveCpuDelta().rounded())
          .append(" tracing_with_cds=").append(c.delta().rounded());
    }
    return line.toString();
  }

  private static String orDash(MedianInterval interval) {
    return interval.n() == 0 ? "—" : interval.rounded();
  }

  private static String spans(Map<Configuration, Long> spans) {
    List<String> parts = new ArrayList<>();
    spans.forEach((c, n) -> parts.add("(" + c.label() + ") " + n));
    return String.join(", ", parts);
  }

  private static String ordinal(int n) {
    return switch (n) {
      case 2 -> "second";
      case 3 -> "third";
      default -> n + "th";
    };
  }

  private static synchronized void drop(BenchDatabase database) {
    try {
      database.close();
    } catch (SQLException e) {
      System.err.println("servo bench: could not drop the cold-start database: " + e.getMessage());
    }
  }

  /** The checkout: {@code SERVO_HOME}, which {@code ./servo} sets, else the one this jar was built in. */
  private static Path home() {
    String configured = System.getenv("SERVO_HOME");
    return (configured != null && !configured.isBlank()
        ? Path.of(configured)
        // servo-bench/target/servo-bench.jar (or target/classes) -> the checkout
        : Path.of(System.getProperty("java.class.path").split(File.pathSeparator)[0]).toAbsolutePath()
            .getParent().getParent().getParent()).toAbsolutePath().normalize();
  }

  /**
   * {@code servo-cli/target/servo.jar} of the checkout {@code home}. It warns when Servo's sources
   * are newer than the jar: the benchmark would measure old code.
   */
  private static Path servoJar(Path home, PrintStream log) throws IOException {
    Path jar = home.resolve("servo-cli").resolve("target").resolve("servo.jar").toAbsolutePath().normalize();
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no " + jar + "; build it first: mvn -q -B -DskipTests package -pl servo-cli -am");
    }
    FileTime built = Files.getLastModifiedTime(jar);
    try (Stream<Path> modules = Files.list(home)) {
      for (Path module : (Iterable<Path>) modules.filter(m -> !m.endsWith("servo-bench"))::iterator) {
        Path sources = module.resolve("src").resolve("main");
        if (!Files.isDirectory(sources)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(sources)) {
          Path newer = files.filter(f -> isNewer(f, built)).findFirst().orElse(null);
          if (newer != null) {
            log.println("  coldstart: WARNING " + newer + " is newer than " + jar + "; rebuild it to measure "
                + "the current code (mvn -q -B -DskipTests package -pl servo-cli -am)");
            break;
          }
        }
      }
    }
    return jar;
  }

  private static boolean isNewer(Path file, FileTime than) {
    try {
      return Files.isRegularFile(file) && Files.getLastModifiedTime(file).compareTo(than) > 0;
    } catch (IOException e) {
      return false;
    }
  }
}
