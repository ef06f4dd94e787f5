package io.servo.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time of one Linux process or thread from {@code /proc}, in nanoseconds. {@code schedstat}'s
 * first field is the scheduler's own count of the time it ran, in nanoseconds; {@code stat}'s utime
 * and stime are the same time in ticks of 10 ms. The benchmark reads a few hundred milliseconds per
 * slice from a dozen processes, so ticks alone were a rounding error of about 2% of a slice per
 * reading (measured 2026-12-07: PostgreSQL's 13 backends, 80 ticks a slice); {@code stat} is the
 * fallback on kernels without scheduler statistics.
 */
final class ProcCpu {
  private ProcCpu() {}

  /**
   * The CPU nanoseconds of {@code dir} ({@code /proc/PID} or {@code /proc/PID/task/TID}); -1 when it
   * is gone or unreadable.
   */
  static long nanos(Path dir) {
    try {
      String schedstat = Files.readString(dir.resolve("schedstat"));
      int space = schedstat.indexOf(' ');
      return Long.parseLong(space < 0 ? schedstat.trim() : schedstat.substring(0, space));
    } catch (IOException | RuntimeException noSchedstat) {
      try {
        String[] fields = statFields(dir);
        // USER_HZ, the unit of utime (field 14) and stime (15), is 100 on every Linux the JDK supports.
        return (Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3])) * 10_000_000L;
      } catch (IOException | RuntimeException gone) {
        return -1;
      }
    }
  }

  /**
   * When {@code dir}'s process started, in clock ticks since boot ({@code stat}'s field 22): with
   * its pid, what tells it from an earlier process that had the same pid. -1 when it is gone.
   */
  static long startTicks(Path dir) {
    try {
      return Long.parseLong(statFields(dir)[22 - 3]);
    } catch (IOException | RuntimeException gone) {
      return -1;
    }
  }

  /**
   * {@code dir}'s {@code stat} from field 3 (the state) on: what follows the name, which is in
   * parentheses and may itself hold spaces and parentheses. Field N is at index N − 3.
   */
  private static String[] statFields(Path dir) throws IOException {
    String stat = Files.readString(dir.resolve("stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  /** The name of a process or thread ({@code comm}, at most 15 characters); "" when it is gone. */
  static String name(Path dir) {
    try {
      return Files.readString(dir.resolve("comm")).trim();
    } catch (IOException | RuntimeException gone) {
      return "";
    }
  }
}
