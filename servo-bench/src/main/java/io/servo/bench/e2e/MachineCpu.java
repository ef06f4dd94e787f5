package io.servo.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's busy and total CPU time from {@code /proc/stat} (Linux), to tell whether a window
 * saturated the CPUs or waited on something else. Zero where there is no {@code /proc/stat}.
 */
final class MachineCpu {
  private static final Path STAT = Path.of("/proc/stat");

  private MachineCpu() {}

  /** {busy, total} jiffies of all CPUs so far. */
  static long[] read() {
    try {
      String[] fields = Files.readAllLines(STAT).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < fields.length; i++) {
        total += Long.parseLong(fields[i]);
      }
      // Fields 4 and 5 are idle and iowait.
      long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}
