package io.servo.worker.assets;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * The JDBC target of {@code sql} assets ({@code SERVO_WAREHOUSE_URL}): a small pool, opened on first
 * use so a worker whose workflows have no {@code sql} asset never connects. It connects as the URL's
 * user; Servo does not switch roles on it.
 */
final class Warehouse implements AutoCloseable {
  static final int MAX_POOL_SIZE = 4;
  private static final String SQLITE_BUSY_TIMEOUT_MILLIS = "10000";
  private static final String POSTGRES_CONNECT_TIMEOUT_SECONDS = "5";

  private final String jdbcUrl;
  private final UnaryOperator<DataSource> decoration;
  private HikariDataSource pool;
  private DataSource dataSource;
  private boolean closed;

  Warehouse(String jdbcUrl) {
    this(jdbcUrl, UnaryOperator.identity());
  }

  /** @param decoration wraps the pool once it opens (tracing's JDBC spans) */
  Warehouse(String jdbcUrl, UnaryOperator<DataSource> decoration) {
    this.jdbcUrl = jdbcUrl;
    this.decoration = decoration;
  }

  Connection connection() throws SQLException {
    return dataSource().getConnection();
  }

  private synchronized DataSource dataSource() throws SQLException {
    if (closed) {
      throw new SQLException("the worker is shutting down");
    }
    if (pool == null) {
      HikariConfig config = new HikariConfig();
      config.setPoolName("servo-warehouse");
      config.setJdbcUrl(jdbcUrl);
      config.setMaximumPoolSize(MAX_POOL_SIZE);
      config.setMinimumIdle(0);
      config.setConnectionTimeout(10_000);
      // Do not fail (or log the URL) at construction: connect when a statement needs it.
      config.setInitializationFailTimeout(-1);
      if (jdbcUrl.startsWith("jdbc:sqlite:")) {
        // SQLite allows one writer: wait for the lock (the Servo database may be the same file).
        config.addDataSourceProperty("busy_timeout", SQLITE_BUSY_TIMEOUT_MILLIS);
      } else if (jdbcUrl.startsWith("jdbc:postgresql:")) {
        // Driver defaults; a parameter in the URL takes precedence over these, so the user can
        // override either. connectTimeout: a host that does not answer fails in seconds. tcpKeepAlive:
        // an idle pooled connection a NAT or firewall forgot is found dead by the OS's probes.
        // No socketTimeout: it bounds every read, so it would cut a user's statement that may
        // rightly run as long as its asset's timeout (10 min by default, hours if set), and the
        // runner already bounds each statement by that timeout (setQueryTimeout). A user who wants
        // one can put socketTimeout in SERVO_WAREHOUSE_URL.
        config.addDataSourceProperty("connectTimeout", POSTGRES_CONNECT_TIMEOUT_SECONDS);
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // How long the driver tries to deliver a statement's cancel at its timeout (default 10 s):
        // on a link that lost its packets the cancel is lost too, and the asset waits this long
        // before the network timeout (its remaining time + 2 s) ends it.
        config.addDataSourceProperty("cancelSignalTimeout", "2");
      }
      pool = new HikariDataSource(config);
      dataSource = decoration.apply(pool);
    }
    return dataSource;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (pool != null) {
      pool.close();
    }
  }
}
