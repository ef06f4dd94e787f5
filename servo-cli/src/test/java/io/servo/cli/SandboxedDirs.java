package io.servo.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Test directories that command assets use as working directory or write marks into. When the
 * tests run as root, commands run sandboxed as an unprivileged uid of their tenant, which cannot
 * enter a {@code @TempDir} (mode 0700, owned by root) until it is opened up.
 */
public final class SandboxedDirs {
  private SandboxedDirs() {}

  /** Makes {@code dir} readable and writable by the sandbox's uid; returns it. */
  public static Path openToCommands(Path dir) {
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
