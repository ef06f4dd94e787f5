package io.servo.bench;

import io.servo.bench.coldstart.ColdStartBenchmark;
import io.servo.bench.e2e.Configuration;
import io.servo.bench.e2e.EndToEndBenchmark;
import io.servo.bench.e2e.WarmupCurve;
import io.servo.bench.micro.MicroBenchmarks;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@code ./servo bench}: the JMH microbenchmarks of the tracing path, then the end-to-end benchmark
 * of the tracing configurations, then the cold-start benchmark of the shipped services, then one
 * machine-readable line. Quick by default (a few minutes on two cores); {@code --thorough} measures
 * longer. {@code --warmup-curve} instead shows how one configuration's child warms up.
 */
public final class BenchCommand {
  private static final String USAGE = """
      usage: ./servo bench [--thorough] [--micro-only | --e2e-only | --coldstart-only] [--jfr] [--configurations L,L] [--blocks N]
             ./servo bench --warmup-curve LABEL [--jfr]
        --thorough        more slices, longer iterations, children warmed until the JIT is quiet,
                          25 rounds of cold starts (about an hour)
        --micro-only      only the JMH microbenchmarks
        --e2e-only        only the end-to-end benchmark
        --coldstart-only  only the cold-start benchmark of `java -jar servo-cli/target/servo.jar orchestrator|worker`
                          (build that jar first: mvn -q -B -DskipTests package -pl servo-cli -am)
        --configurations L,L  measure only these end-to-end configurations (a, a2, b, bk, c, d, e, b2) and (a),
                          the baseline, always; for example --configurations a2,b (all but b2 by default)
        --blocks N        end to end, N blocks of paired slices (quick 12, thorough 50); intervals narrow as 1/sqrt(N)
        --jfr             record end-to-end configurations (a), (b) and (c) with JFR into servo-bench/target/bench/servo-{a,b,c}.jfr
        --warmup-curve L  only one child of end-to-end configuration L (a, a2, b, bk, c, d, e, b2) under load for 240 s:
                          CPU per execution, the JIT's share of it and allocation per execution, per 10 s window
                          (no execution fails there; in the end-to-end benchmark one in 20 does);
                          with --jfr the child is recorded into servo-bench/target/bench/warmup-LABEL.jfr
      PostgreSQL: SERVO_BENCH_POSTGRES_URL (default jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres);
      a database is created per end-to-end configuration and one for the cold starts, all dropped at the end.
      """;

  private BenchCommand() {}

  public static void main(String[] args) throws Exception {
    boolean thorough = false;
    int blocks = 0;
    boolean micro = true;
    boolean e2e = true;
    boolean coldStart = true;
    boolean jfr = false;
    if (args.length > 0 && args[0].equals("--warmup-curve")) {
      boolean record = args.length == 3 && args[2].equals("--jfr");
      Configuration configuration = args.length == 2 || record
          ? Configuration.byLabel(args[1]).orElse(null) : null;
      if (configuration == null) {
        System.err.print("servo bench: --warmup-curve takes one configuration's label (a, a2, b, bk, c, d, e, b2), not '"
            + String.join(" ", Arrays.copyOfRange(args, 1, args.length)) + "'\n" + USAGE);
        System.exit(2);
      }
      Path recording = null;
      if (record) {
        Path results = Path.of(System.getenv().getOrDefault("SERVO_HOME", "."), "servo-bench", "target", "bench");
        Files.createDirectories(results);
        recording = results.resolve("warmup-" + configuration.label() + ".jfr").toAbsolutePath().normalize();
      }
      WarmupCurve.run(configuration, Duration.ofSeconds(240), Duration.ofSeconds(10), recording, System.out);
      return;
    }
    Set<Configuration> configurations = Configuration.defaults();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--configurations" -> {
          Optional<Set<Configuration>> chosen = i + 1 < args.length ? Configuration.byLabels(args[++i])
              : Optional.empty();
          if (chosen.isEmpty()) {
            System.err.print("servo bench: --configurations takes labels separated by commas, from a, a2, b, bk, c, "
                + "d, e, b2 (for example --configurations a2,b), not '" + (i < args.length ? args[i] : "") + "'\n"
                + USAGE);
            System.exit(2);
          }
          configurations = chosen.get();
        }
        case "--blocks" -> {
          String count = i + 1 < args.length ? args[++i] : "";
          blocks = count.matches("[1-9][0-9]{0,3}") ? Integer.parseInt(count) : -1;
          if (blocks < 2) {
            System.err.print("servo bench: --blocks takes a whole number of blocks from 2 to 9999 (quick runs 12, "
                + "--thorough 50), not '" + count + "'\n" + USAGE);
            System.exit(2);
          }
        }
        case "--thorough" -> thorough = true;
        case "--micro-only" -> {
          e2e = false;
          coldStart = false;
        }
        case "--e2e-only" -> {
          micro = false;
          coldStart = false;
        }
        case "--coldstart-only" -> {
          micro = false;
          e2e = false;
        }
        case "--jfr" -> jfr = true;
        case "-h", "--help" -> {
          System.out.print(USAGE);
          return;
        }
        default -> {
          System.err.print("servo bench: unknown option '" + arg + "'\n" + USAGE);
          System.exit(2);
        }
      }
    }
    PrintStream log = System.out;
    Path results = Path.of(System.getenv().getOrDefault("SERVO_HOME", "."), "servo-bench", "target", "bench");
    Files.createDirectories(results);
    StringBuilder report = new StringBuilder();
    report.append("# servo bench, ").append(Instant.now()).append(thorough ? " (thorough)" : " (quick)").append("\n\n");
    report.append(machine()).append("\n\n");
    log.println("servo bench: " + machine());

    if (micro) {
      log.println("servo bench: JMH microbenchmarks (GC profiler), per execution");
      List<MicroBenchmarks.Figure> figures = MicroBenchmarks.run(
          thorough ? MicroBenchmarks.Effort.THOROUGH : MicroBenchmarks.Effort.QUICK, ".*", log);
      String table = MicroBenchmarks.table(figures);
      log.println();
      log.print(table);
      log.println();
      report.append("## Microbenchmarks\n\n").append(table).append("\n");
    }
    List<EndToEndBenchmark.Figures> endToEnd = null;
    if (e2e) {
      String loadBefore = loadAverage();
      log.println("servo bench: end-to-end, " + (configurations.size() + (configurations.contains(Configuration.DISABLED) ? 0 : 1))
          + " configurations in paired slices, each alone (the others stopped; load average " + loadBefore + ")");
      Path profile = jfr ? results.toAbsolutePath().normalize() : null;
      EndToEndBenchmark.Effort effort = thorough ? EndToEndBenchmark.Effort.THOROUGH : EndToEndBenchmark.Effort.QUICK;
      endToEnd = EndToEndBenchmark.run(blocks > 0 ? effort.withBlocks(blocks) : effort, configurations,
          List.of("-Xmx1g"), profile, results.resolve("slices.csv"), log);
      String table = EndToEndBenchmark.table(endToEnd);
      String keep = EndToEndBenchmark.keepTable(endToEnd);
      String widths = EndToEndBenchmark.intervalWidths(endToEnd);
      log.println();
      log.print(table);
      log.println();
      log.println(widths);
      log.println();
      log.println("Retroactive keep:");
      log.println();
      log.print(keep);
      log.println();
      if (profile != null) {
        log.println("JFR recordings of (a), (b) and (c): " + profile.resolve("servo-a.jfr") + ", "
            + profile.resolve("servo-b.jfr") + ", " + profile.resolve("servo-c.jfr"));
      }
      report.append("## End to end\n\n").append(table).append("\n").append(widths).append("\n")
          .append("\n### Retroactive keep\n\n").append(keep)
          .append("\nLoad average before / after: ").append(loadBefore).append(" / ").append(loadAverage())
          .append("\n\n");
    }
    ColdStartBenchmark.Result coldStarts = null;
    String deltaLine = null;
    if (coldStart) {
      String loadBefore = loadAverage();
      ColdStartBenchmark.Effort effort = thorough ? ColdStartBenchmark.Effort.THOROUGH : ColdStartBenchmark.Effort.QUICK;
      log.printf("servo bench: cold starts of the orchestrator and the worker, (a), (c) and (d), (a) and (c) also "
          + "with the class-data archive, %d rounds + 1 warm-up (load average %s)%n", effort.rounds(), loadBefore);
      // The image's JVM options (Dockerfile ENTRYPOINT).
      coldStarts = ColdStartBenchmark.run(effort, List.of("-XX:MaxRAMPercentage=75"), log);
      String table = ColdStartBenchmark.table(coldStarts);
      deltaLine = ColdStartBenchmark.deltaLine(coldStarts) + "\n" + ColdStartBenchmark.archiveLine(coldStarts);
      log.println();
      log.print(table);
      log.println();
      report.append("## Cold start\n\n").append(table).append("\nLoad average before / after: ")
          .append(loadBefore).append(" / ").append(loadAverage()).append("\n\n");
    }
    if (e2e || coldStart) {
      String line = SummaryLine.of(endToEnd, coldStarts);
      if (deltaLine != null) {
        report.append(deltaLine).append("\n");
      }
      report.append(line).append("\n");
      Files.writeString(results.resolve("last-run.md"), report, StandardCharsets.UTF_8);
      log.println("report: " + results.resolve("last-run.md").toAbsolutePath().normalize());
      if (deltaLine != null) {
        log.println(deltaLine);
      }
      if (endToEnd != null) {
        // Again next to the line: its intervals are only worth what their widths say.
        log.println(EndToEndBenchmark.intervalWidths(endToEnd));
      }
      log.println(line);
    } else {
      Files.writeString(results.resolve("last-run.md"), report, StandardCharsets.UTF_8);
    }
    // Executions that did not fail as planned make the configurations' loads differ: every figure is
    // printed above, but the run is an error.
    boolean failuresAsPlanned = true;
    for (EndToEndBenchmark.Figures f : endToEnd == null ? List.<EndToEndBenchmark.Figures>of() : endToEnd) {
      if (!f.failureProblem().isEmpty()) {
        System.err.println("servo bench: ERROR " + f.configuration() + ": " + f.failureProblem());
        failuresAsPlanned = false;
      }
    }
    if (!failuresAsPlanned) {
      System.exit(1);
    }
  }

  /** The 1, 5 and 15 minute load averages (Linux), to show what else ran on the machine. */
  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String machine() {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return String.format(Locale.ROOT, "%d CPUs, %.1f GB memory, %s %s (%s), %s %s",
        Runtime.getRuntime().availableProcessors(), os.getTotalMemorySize() / 1e9,
        System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
        System.getProperty("java.vendor"), System.getProperty("os.name"), System.getProperty("os.arch"));
  }
}
