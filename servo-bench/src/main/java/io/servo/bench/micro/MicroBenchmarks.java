package io.servo.bench.micro;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH benchmarks of this package with the GC profiler and tabulates ns/op and B/op. */
public final class MicroBenchmarks {
  /** How long JMH measures: quick for {@code ./servo bench}, thorough for {@code --thorough}. */
  public record Effort(int forks, int warmupIterations, int measurementIterations, TimeValue iterationTime) {
    public static final Effort QUICK = new Effort(1, 2, 3, TimeValue.seconds(1));
    public static final Effort THOROUGH = new Effort(2, 4, 5, TimeValue.seconds(2));
  }

  /** One benchmark in one mode. */
  public record Figure(String benchmark, String mode, double nsPerOp, double nsError, double bytesPerOp) {}

  private MicroBenchmarks() {}

  /** Runs the benchmarks whose names match {@code include} (a regex; {@code ".*"} for all). */
  public static List<Figure> run(Effort effort, String include, PrintStream log) throws RunnerException {
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include("io\\.servo\\.bench\\.micro\\..*Benchmark\\..*" + (include.equals(".*") ? "" : include))
        .forks(effort.forks())
        .warmupIterations(effort.warmupIterations())
        .warmupTime(effort.iterationTime())
        .measurementIterations(effort.measurementIterations())
        .measurementTime(effort.iterationTime())
        .threads(1)
        .jvmArgsAppend("-Xms512m", "-Xmx512m", "-Dlogback.configurationFile=bench-quiet-logback.xml")
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true);
    Collection<RunResult> results = new Runner(options.build(), new ProgressOutput(log)).run();
    List<Figure> figures = new ArrayList<>();
    for (RunResult run : results) {
      Result<?> primary = run.getPrimaryResult();
      Result<?> alloc = run.getSecondaryResults().get("gc.alloc.rate.norm");
      figures.add(new Figure(shortName(run.getParams().getBenchmark()), run.getParams().getParam("mode"),
          primary.getScore(), primary.getScoreError(), alloc == null ? Double.NaN : alloc.getScore()));
    }
    return figures;
  }

  /** A Markdown table of {@code figures}. */
  public static String table(List<Figure> figures) {
    StringBuilder out = new StringBuilder();
    out.append("| benchmark (per execution) | tracing | ns/op | ± (99.9%) | bytes/op |\n");
    out.append("|---|---|---:|---:|---:|\n");
    for (Figure f : figures) {
      out.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f | %.0f |%n", f.benchmark(),
          f.mode().toLowerCase(Locale.ROOT), f.nsPerOp(),
          Double.isNaN(f.nsError()) ? 0 : f.nsError(), f.bytesPerOp()));
    }
    return out.toString();
  }

  /** {@code ExecutionSpans.oneExecution} for {@code io.servo.bench.micro.ExecutionSpansBenchmark.oneExecution}. */
  static String shortName(String benchmark) {
    String[] parts = benchmark.split("\\.");
    return parts[parts.length - 2].replace("Benchmark", "") + "." + parts[parts.length - 1];
  }
}
