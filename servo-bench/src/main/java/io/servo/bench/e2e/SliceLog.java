package io.servo.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every measured slice of the end-to-end benchmark as one CSV row, for looking at the noise itself
 * (which slices were slow, whether neighbours agree, what the collector did) rather than only at the
 * intervals it leaves: configuration, block, position in the block, when it began (seconds since the
 * first slice), how long its child had been stopped before it, executions, elapsed, and the child's
 * CPU, JIT, garbage collector CPU, allocation and PostgreSQL's CPU for it, in nanoseconds and bytes,
 * and how busy the whole machine was (0 to 1).
 * Rewritten after every slice, so a run stopped early still leaves what it measured.
 */
final class SliceLog {
  private final StringBuilder csv = new StringBuilder(
      "configuration,block,position,began_s,stopped_before_s,executions,elapsed_ns,cpu_ns,jit_ns,gc_ns,"
          + "allocated_bytes,database_cpu_ns,machine_busy\n");
  private final Map<Configuration, Long> lastEnd = new EnumMap<>(Configuration.class);
  private long first = -1;

  void add(Configuration c, int block, int position, LoadWindow.Result r) {
    if (first < 0) {
      first = r.beganNanos();
    }
    Long end = lastEnd.put(c, r.beganNanos() + r.elapsedNanos());
    csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.3f,%s,%d,%d,%d,%d,%d,%d,%d,%.3f%n", c.label(), block, position,
        (r.beganNanos() - first) / 1e9, end == null ? "" : String.format(Locale.ROOT, "%.3f", (r.beganNanos() - end) / 1e9),
        r.executions(), r.elapsedNanos(), r.cpuNanos(), r.jitNanos(), r.gcNanos(), r.allocatedBytes(),
        r.databaseCpuNanos(), r.machineBusy()));
  }

  void write(Path file) throws IOException {
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }
}
