package io.servo.bench.micro;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.jdbc.JdbcTracing;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JDBC path of one traced operation, as a store or a {@code sql} asset takes it: a connection
 * from a HikariCP pool wrapped by {@link JdbcTracing}, one prepared query and one plain update, all
 * under an operation span of the mode. Unsampled, the wrapper hands out the pool's own connection;
 * sampled, each statement is a CLIENT span. The database is an in-memory SQLite one, so the figures
 * are mostly the driver's and the wrapper's, not a server's.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JdbcStatementBenchmark {
  @Param({"DISABLED", "UNSAMPLED", "SAMPLED"})
  public TracingMode mode;

  private ServoTelemetry telemetry;
  private Tracer tracer;
  private HikariDataSource pool;
  private DataSource dataSource;
  private int id;

  @Setup(Level.Trial)
  public void start() throws SQLException {
    telemetry = mode.start("servo-worker", new DiscardingSpanExporter());
    tracer = telemetry.openTelemetry().getTracer("io.servo.bench");
    HikariConfig config = new HikariConfig();
    // A named in-memory database shared by the pool's connections while one stays open.
    config.setJdbcUrl("jdbc:sqlite:file:jdbc_bench?mode=memory&cache=shared");
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(2);
    pool = new HikariDataSource(config);
    dataSource = JdbcTracing.wrapDataSource(telemetry.openTelemetry(), pool);
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS assets (id INTEGER PRIMARY KEY, name TEXT, runs INTEGER)");
      for (int i = 0; i < 100; i++) {
        st.execute("INSERT OR REPLACE INTO assets VALUES (" + i + ", 'asset_" + i + "', 0)");
      }
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    pool.close();
    telemetry.shutdown(Duration.ofSeconds(5));
  }

  /** One operation: a connection, a prepared query and a plain update; returns the name read. */
  @Benchmark
  public String oneOperation() throws SQLException {
    id = (id + 1) % 100;
    Span operation = tracer.spanBuilder("worker.execute_asset").startSpan();
    try (Scope ignored = operation.makeCurrent(); Connection c = dataSource.getConnection()) {
      String name;
      try (PreparedStatement query = c.prepareStatement("SELECT name FROM assets WHERE id = ?")) {
        query.setInt(1, id);
        try (ResultSet rows = query.executeQuery()) {
          rows.next();
          name = rows.getString(1);
        }
      }
      try (Statement update = c.createStatement()) {
        update.executeUpdate("UPDATE assets SET runs = runs + 1 WHERE id = 7");
      }
      return name;
    } finally {
      operation.end();
    }
  }
}
