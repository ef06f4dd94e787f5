package io.servo.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import javax.tools.ToolProvider;

/**
 * A tiny Java program the tests run as a {@code command} asset, so they need no shell: it prints
 * variables, fails, spawns a long-lived child, or leaves a mark in a file.
 *
 * <p>It is compiled once, in the test's JVM, before any asset runs: launched as a source file it
 * was compiled by every run instead, inside the asset's timeout, and on a loaded machine that took
 * longer than a 6 s timeout, so a test that needs the program to have started its child before
 * the timeout failed by chance.
 */
public final class TestPrograms {
  private static final String SOURCE = """
      import java.nio.file.*;
      import java.util.*;

      public class Probe {
        public static void main(String[] args) throws Exception {
          switch (args[0]) {
            case "print-env" -> {
              for (int i = 1; i < args.length; i++) {
                String line = args[i] + "=" + System.getenv(args[i]);
                System.out.println(line);
                System.err.println(line);
              }
            }
            case "fail" -> {
              System.err.println(args[2]);
              System.exit(Integer.parseInt(args[1]));
            }
            case "spawn-and-sleep" -> {
              Process child = new ProcessBuilder("sleep", args.length > 2 ? args[2] : "120").start();
              Files.writeString(Path.of(args[1]), Long.toString(child.pid()));
              Thread.sleep(120_000);
            }
            case "mark" -> Files.writeString(Path.of(args[1]), "x\\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            default -> throw new IllegalArgumentException(args[0]);
          }
        }
      }
      """;

  private final Path classes;

  private TestPrograms(Path classes) {
    this.classes = classes;
  }

  /** Writes the program to {@code dir} and compiles it there. */
  public static TestPrograms writeTo(Path dir) {
    try {
      Path file = dir.resolve("Probe.java");
      Files.writeString(file, SOURCE);
      Path classes = Files.createDirectories(dir.resolve("probe-classes"));
      int status = ToolProvider.getSystemJavaCompiler().run(null, null, System.err,
          "-d", classes.toString(), file.toString());
      if (status != 0) {
        throw new IllegalStateException("javac Probe.java failed with status " + status);
      }
      // Commands run sandboxed as an unprivileged uid of their tenant when the tests run as root:
      // the probe must be readable, and its marks and pid files writable, by that uid.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.setPosixFilePermissions(classes, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.setPosixFilePermissions(classes.resolve("Probe.class"), PosixFilePermissions.fromString("rw-r--r--"));
      return new TestPrograms(classes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The argv that runs the probe with {@code args}. */
  public List<String> command(String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A short-lived program: the C1 compiler and serial GC start fastest.
    argv.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classes.toString(), "Probe"));
    argv.addAll(List.of(args));
    return argv;
  }
}
