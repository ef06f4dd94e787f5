package io.servo.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code servo version}: the same as {@code servo --version}. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version of servo.")
final class VersionCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println(ServoCli.VERSION);
    return ServoCli.OK;
  }
}
