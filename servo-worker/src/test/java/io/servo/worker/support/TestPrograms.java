package io.servo.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny single-file Java program the tests run as a {@code command} asset, so they need no shell:
 * it prints variables, fails, spawns a long-lived child, or leaves a mark in a file.
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

  private final Path source;

  private TestPrograms(Path source) {
    this.source = source;
  }

  public static TestPrograms writeTo(Path dir) {
    try {
      Path file = dir.resolve("Probe.java");
      Files.writeString(file, SOURCE);
      // Commands run sandboxed as an unprivileged uid of their tenant when the tests run as root:
      // the probe must be readable, and its marks and pid files writable, by that uid.
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      return new TestPrograms(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The argv that runs the probe with {@code args}. */
  public List<String> command(String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.add(source.toString());
    argv.addAll(List.of(args));
    return argv;
  }
}
