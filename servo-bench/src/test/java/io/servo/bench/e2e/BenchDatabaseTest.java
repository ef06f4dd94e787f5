package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Against the PostgreSQL server the benchmark uses ({@code SERVO_BENCH_POSTGRES_URL}). */
class BenchDatabaseTest {

  @Test
  void freeConnectionsAreTheServersLimitLessTheReservedAndTheOpenOnesIncludingItsOwn() throws SQLException {
    int free = BenchDatabase.freeConnections(EndToEndBenchmark.postgresServer());

    try (Connection c = DriverManager.getConnection(EndToEndBenchmark.postgresServer());
         ResultSet rows = c.createStatement().executeQuery("SELECT current_setting('max_connections')::int "
             + "- current_setting('superuser_reserved_connections')::int")) {
      rows.next();
      assertThat(free).isPositive().isLessThan(rows.getInt(1));
    }
  }

  @Test
  void theBenchmarkVacuumsBetweenWindowsInsteadOfAutovacuum() throws SQLException, InterruptedException {
    String name = "servo_bench_test_" + UUID.randomUUID().toString().substring(0, 8);
    try (BenchDatabase database = BenchDatabase.create(EndToEndBenchmark.postgresServer(), name)) {
      try (Connection c = DriverManager.getConnection(database.url()); Statement s = c.createStatement()) {
        s.execute("CREATE SCHEMA servo");
        s.execute("CREATE TABLE servo.\"Outbox\" (id int)");
        s.execute("INSERT INTO bench_orders (customer, amount) SELECT 'c', 1 FROM generate_series(1, 100)");
        s.execute("DELETE FROM bench_orders");

        database.takeOverVacuuming();
        long took = database.vacuum();

        assertThat(took).isPositive();
        try (ResultSet rows = s.executeQuery("SELECT n.nspname, c.relname, c.reloptions::text, "
            + "s.last_vacuum IS NOT NULL, s.last_analyze IS NOT NULL FROM pg_class c "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_stat_user_tables s ON s.relid = c.oid "
            + "ORDER BY 1, 2")) {
          int tables = 0;
          while (rows.next()) {
            tables++;
            String table = rows.getString(1) + "." + rows.getString(2);
            assertThat(rows.getString(3)).as(table).contains("autovacuum_enabled=false");
            assertThat(rows.getBoolean(4)).as(table + " vacuumed").isTrue();
            assertThat(rows.getBoolean(5)).as(table + " analyzed").isTrue();
          }
          assertThat(tables).isEqualTo(2);
        }
      }
    }
    try (Connection admin = DriverManager.getConnection(EndToEndBenchmark.postgresServer());
         ResultSet rows = admin.createStatement().executeQuery(
             "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'")) {
      rows.next();
      assertThat(rows.getInt(1)).as("dropped on close").isZero();
    }
  }

  /** The server of the tests runs on this machine, so its backends' CPU is readable here. */
  @Test
  void theBackendsOfADatabaseAreThoseConnectedToIt() throws SQLException {
    String name = "servo_bench_test_" + UUID.randomUUID().toString().substring(0, 8);
    try (BenchDatabase database = BenchDatabase.create(EndToEndBenchmark.postgresServer(), name);
         DatabaseCpu cpu = DatabaseCpu.open(EndToEndBenchmark.postgresServer());
         Connection child = DriverManager.getConnection(database.url());
         Statement s = child.createStatement();
         ResultSet rows = s.executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      long pid = rows.getLong(1);
      try (Connection admin = DriverManager.getConnection(EndToEndBenchmark.postgresServer())) {
        assertThat(database.backendPids(admin)).containsExactly(pid);
      }
      assertThat(cpu.known()).isTrue();
      assertThat(cpu.since(database)).as("CPU nanoseconds from the backend's start").isNotNegative();
    }
  }
}
