package io.servo.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU time PostgreSQL spends for a child: its backends' CPU time from {@code /proc} ({@link
 * ProcCpu}), the backends being those connected to the child's database ({@code
 * pg_stat_activity}). A child's own accounting leaves this out, as Cloud Run bills the services
 * and not their database. It is known only when the server runs on this machine, in the same pid
 * namespace (checked once: the backend of the admin connection must be a {@code postgres} process
 * here).
 */
final class DatabaseCpu implements AutoCloseable {
  private final Connection admin;
  private final boolean local;
  private final Map<Long, Reading> byPid = new HashMap<>();

  private DatabaseCpu(Connection admin, boolean local) {
    this.admin = admin;
    this.local = local;
  }

  /** Connects to {@code server} (one connection, kept open) and checks whether it runs here. */
  static DatabaseCpu open(String server) throws SQLException {
    Connection admin = DriverManager.getConnection(server);
    long pid;
    try (Statement s = admin.createStatement(); ResultSet rows = s.executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      pid = rows.getLong(1);
    }
    boolean local;
    try {
      local = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim().startsWith("postgres");
    } catch (IOException | RuntimeException e) {
      local = false;
    }
    return new DatabaseCpu(admin, local);
  }

  /** Whether the server's CPU can be read here. */
  boolean known() {
    return local;
  }

  /**
   * The CPU nanoseconds {@code database}'s backends used since the previous call that saw them; a
   * backend seen for the first time counts from its start. -1 when the server is not on this machine.
   */
  long since(BenchDatabase database) throws SQLException {
    if (!local) {
      return -1;
    }
    long nanos = 0;
    for (long pid : database.backendPids(admin)) {
      Path dir = Path.of("/proc", Long.toString(pid));
      long started = ProcCpu.startTicks(dir);
      long now = ProcCpu.nanos(dir);
      if (started >= 0 && now >= 0) {
        nanos += since(byPid.put(pid, new Reading(started, now)), started, now);
      }
    }
    return nanos;
  }

  /** A backend's CPU nanoseconds when last read, and when the process with that pid started. */
  record Reading(long startTicks, long nanos) {}

  /**
   * The CPU a backend used since {@code before}, its previous reading: all of {@code nanos} when
   * there was none or it was of another process that had the same pid. Hikari replaces its
   * connections every 30 minutes and PostgreSQL's pids are reused, so a long run meets both; a
   * reused pid once made a slice's PostgreSQL CPU −6.7 s (2026-12-07, block 140 of 150).
   */
  static long since(Reading before, long startTicks, long nanos) {
    return before == null || before.startTicks() != startTicks ? nanos : nanos - before.nanos();
  }

  @Override
  public void close() throws SQLException {
    admin.close();
  }
}
