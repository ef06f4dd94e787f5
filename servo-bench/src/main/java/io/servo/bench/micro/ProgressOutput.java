package io.servo.bench.micro;

import java.io.PrintStream;
import java.util.Collection;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

/**
 * JMH's output reduced to one line per benchmark and the lines the benchmarks print themselves
 * (span and drop counts, which start with {@code [}); the table at the end carries the figures.
 */
final class ProgressOutput implements OutputFormat {
  private final PrintStream out;

  ProgressOutput(PrintStream out) {
    this.out = out;
  }

  @Override
  public void startBenchmark(BenchmarkParams params) {
    out.printf("  micro: %s %s%n", MicroBenchmarks.shortName(params.getBenchmark()), params.getParam("mode"));
  }

  @Override
  public void println(String line) {
    if (line.startsWith("[")) {
      out.println("    " + line);
    }
  }

  @Override
  public void flush() {
    out.flush();
  }

  @Override
  public void iteration(BenchmarkParams benchmark, IterationParams params, int iteration) {}

  @Override
  public void iterationResult(BenchmarkParams benchmark, IterationParams params, int iteration,
      IterationResult result) {}

  @Override
  public void endBenchmark(BenchmarkResult result) {}

  @Override
  public void startRun() {}

  @Override
  public void endRun(Collection<RunResult> results) {}

  @Override
  public void print(String text) {}

  @Override
  public void verbosePrintln(String line) {}

  @Override
  public void write(int b) {}

  @Override
  public void write(byte[] b) {}

  @Override
  public void close() {}
}
