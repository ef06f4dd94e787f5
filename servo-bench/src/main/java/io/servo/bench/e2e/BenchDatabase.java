package io.servo.bench.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fresh PostgreSQL database for one configuration of one run (or for both services of the
 * cold-start benchmark), with the warehouse table the workflow writes to; dropped on close. The server is {@code SERVO_BENCH_POSTGRES_URL}, by default
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}.
 */
public final class BenchDatabase implements AutoCloseable {
  public static final String DEFAULT_SERVER = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
  private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]*/)([^?]*)(.*)$");

  /** SQLSTATE too_many_connections. */
  private static final String TOO_MANY_CONNECTIONS = "53300";

  private final String server;
  private final String name;

  private BenchDatabase(String server, String name) {
    this.server = server;
    this.name = name;
  }

  public static BenchDatabase create(String server, String name) throws SQLException {
    try (Connection admin = DriverManager.getConnection(server); Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + name);
      // Commits do not wait for the disk: the benchmark is about CPU spent on tracing, and fsync
      // latency on a shared disk would be most of the noise between rounds.
      s.execute("ALTER DATABASE " + name + " SET synchronous_commit = off");
    }
    BenchDatabase database = new BenchDatabase(server, name);
    try (Connection c = DriverManager.getConnection(database.url()); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE bench_orders (id bigserial PRIMARY KEY, customer text NOT NULL, "
          + "amount numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
    }
    return database;
  }

  /**
   * Connections the server would still accept from a user without superuser privileges: {@code
   * max_connections} less those open and those reserved for superusers.
   */
  static int freeConnections(String server) throws SQLException {
    try (Connection admin = DriverManager.getConnection(server); Statement s = admin.createStatement();
         ResultSet rows = s.executeQuery("SELECT current_setting('max_connections')::int "
             + "- current_setting('superuser_reserved_connections')::int - (SELECT count(*) FROM pg_stat_activity "
             + "WHERE backend_type = 'client backend')")) {
      rows.next();
      return rows.getInt(1);
    }
  }

  public String url() {
    Matcher m = URL.matcher(server);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "SERVO_BENCH_POSTGRES_URL must look like jdbc:postgresql://HOST:PORT/DB?user=…, not " + server);
    }
    return m.group(1) + name + m.group(3);
  }

  /**
   * Turns autovacuum off for every table in the database (the services' tables exist once the
   * first child has started). {@link #vacuum()} then runs between windows instead: autovacuum would
   * otherwise clean one configuration's database while another configuration is measured, taking
   * CPU from that window, and each window would start from a database in a different state (dead
   * rows of the workflow's insert-and-prune table and of the outbox).
   */
  void takeOverVacuuming() throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement()) {
      try (ResultSet rows = s.executeQuery(
          "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1")) {
        while (rows.next()) {
          tables.add(rows.getString(1));
        }
      }
      for (String table : tables) {
        s.execute("ALTER TABLE " + table + " SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)");
      }
    }
  }

  /**
   * {@code VACUUM (ANALYZE)} of the whole database, between windows, so that every window starts
   * from a vacuumed database with fresh statistics. While the server refuses connections (the
   * children hold some 90, and other work on a shared server may take the rest) it tries again for
   * 10 s, and then leaves this one out: a long run should not end over one VACUUM.
   *
   * @return how long it took, in nanoseconds; -1 when it was left out
   */
  long vacuum() throws SQLException, InterruptedException {
    long start = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement()) {
        s.execute("VACUUM (ANALYZE)");
        return System.nanoTime() - start;
      } catch (SQLException e) {
        if (!TOO_MANY_CONNECTIONS.equals(e.getSQLState())) {
          throw e;
        }
        if (attempt == 50) {
          return -1;
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * The process ids of the server's backends connected to this database (those of the child's
   * pools; a {@link #vacuum()} is over by the time this is called), read on {@code admin}, a
   * connection to the server's own database that the caller keeps open: one more connection per
   * reading could find the server full.
   */
  List<Long> backendPids(Connection admin) throws SQLException {
    List<Long> pids = new ArrayList<>();
    try (var query = admin.prepareStatement("SELECT pid FROM pg_stat_activity WHERE datname = ?")) {
      query.setString(1, name);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          pids.add(rows.getLong(1));
        }
      }
    }
    return pids;
  }

  /** Executions per state, to check that every measured execution succeeded. */
  Map<String, Long> executionsByState() throws SQLException {
    Map<String, Long> states = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement();
         var rows = s.executeQuery("SELECT state, count(*) FROM servo.executions GROUP BY state ORDER BY state")) {
      while (rows.next()) {
        states.put(rows.getString(1), rows.getLong(2));
      }
    }
    return states;
  }

  @Override
  public void close() throws SQLException {
    try (Connection admin = DriverManager.getConnection(server); Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
