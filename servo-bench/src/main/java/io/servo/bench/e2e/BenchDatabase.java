package io.servo.bench.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
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
      s.execute("CREATE INDEX bench_orders_created_at ON bench_orders (created_at)");
    }
    return database;
  }

  public String url() {
    Matcher m = URL.matcher(server);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "SERVO_BENCH_POSTGRES_URL must look like jdbc:postgresql://HOST:PORT/DB?user=…, not " + server);
    }
    return m.group(1) + name + m.group(3);
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
