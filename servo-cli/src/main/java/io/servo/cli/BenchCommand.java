package io.servo.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code servo bench}: listed so that {@code --help} shows it. The launcher script runs the
 * benchmarks' own jar (servo-bench) before this jar is started; here it only says so.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run the tracing overhead benchmarks (./servo bench; servo-bench/README.md).")
final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("servo: the benchmarks have their own jar: run them with the launcher, ./servo bench "
        + "(options: servo-bench/README.md)");
    return ServoCli.USAGE;
  }
}
