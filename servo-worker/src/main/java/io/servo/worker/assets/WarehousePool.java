package io.servo.worker.assets;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * One JDBC pool of the warehouse: a small Hikari pool on one URL (and, for a tenant's role, its
 * user and password), opened on first use so a worker whose workflows have no {@code sql} asset
 * never connects, and decorated once (tracing's JDBC spans).
 */
final class WarehousePool implements AutoCloseable {
  static final int MAX_POOL_SIZE = 4;
  private static final String SQLITE_BUSY_TIMEOUT_MILLIS = "10000";
  private static final String POSTGRES_CONNECT_TIMEOUT_SECONDS = "5";

  private final String name;
  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final int maxPoolSize;
  private final UnaryOperator<DataSource> decoration;
  private final ScheduledExecutorService housekeeping;
  private HikariDataSource pool;
  private DataSource dataSource;
  private boolean closed;
  private volatile long lastUsedNanos = System.nanoTime();

  WarehousePool(String jdbcUrl) {
    this("servo-warehouse", jdbcUrl, null, null, MAX_POOL_SIZE, UnaryOperator.identity(), null);
  }

  /**
   * @param user with {@code password}, the credentials of the connections; null to use the URL's
   *     (the URL must then not name a user or password of its own)
   * @param decoration wraps the pool once it opens (tracing's JDBC spans)
   * @param housekeeping the scheduler of the pool's housekeeping, shared by the tenants' pools;
   *     null for Hikari's own
   */
  WarehousePool(String name, String jdbcUrl, String user, String password, int maxPoolSize,
      UnaryOperator<DataSource> decoration, ScheduledExecutorService housekeeping) {
    this.name = name;
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.maxPoolSize = maxPoolSize;
    this.decoration = decoration;
    this.housekeeping = housekeeping;
  }

  Connection connection() throws SQLException {
    lastUsedNanos = System.nanoTime();
    return dataSource().getConnection();
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Whether no connection of the pool is lent out. */
  synchronized boolean idle() {
    return pool == null || pool.getHikariPoolMXBean() == null
        || pool.getHikariPoolMXBean().getActiveConnections() == 0;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  private synchronized DataSource dataSource() throws SQLException {
    if (closed) {
      throw new SQLException("the warehouse pool is closed");
    }
    if (pool == null) {
      HikariConfig config = new HikariConfig();
      config.setPoolName(name);
      config.setJdbcUrl(jdbcUrl);
      if (user != null) {
        config.setUsername(user);
        config.setPassword(password);
      }
      config.setMaximumPoolSize(maxPoolSize);
      config.setMinimumIdle(0);
      config.setIdleTimeout(60_000);
      config.setConnectionTimeout(10_000);
      if (housekeeping != null) {
        config.setScheduledExecutor(housekeeping);
      }
      // Do not fail (or log the URL) at construction: connect when a statement needs it.
      config.setInitializationFailTimeout(-1);
      if (jdbcUrl.startsWith("jdbc:sqlite:")) {
        // SQLite allows one writer: wait for the lock.
        config.addDataSourceProperty("busy_timeout", SQLITE_BUSY_TIMEOUT_MILLIS);
        // A tenant's script may not reach another file (ATTACH) or load native code.
        config.addDataSourceProperty("limit_attached", "0");
        config.addDataSourceProperty("enable_load_extension", "false");
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
