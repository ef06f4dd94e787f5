package io.servo.storage;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.Driver;
import org.postgresql.PGProperty;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Opens Servo's database: migrates it, then pools connections to it.
 *
 * <pre>{@code
 * try (ServoStorage storage = Storage.open(System.getenv("SERVO_DATABASE_URL"))) { ... }
 * }</pre>
 */
public final class Storage {
  /** On PostgreSQL every pooled connection acts as this role, which row-level security binds. */
  public static final String APP_ROLE = "servo_app";

  /** How long an SQLite writer waits for another (the worker and orchestrator may share a file). */
  static final int SQLITE_BUSY_TIMEOUT_MILLIS = 10_000;

  private Storage() {}

  /** {@link #open(String, StorageOptions)} with {@link StorageOptions#defaults()}. */
  public static ServoStorage open(String jdbcUrl) {
    return open(jdbcUrl, StorageOptions.defaults());
  }

  /**
   * Migrates the database at {@code jdbcUrl} ({@code jdbc:postgresql:…} or {@code jdbc:sqlite:…})
   * and returns a store pooling connections to it.
   *
   * @throws IllegalArgumentException when the URL is of neither form
   * @throws StorageException when the database cannot be reached or migrated; the message names
   *     the URL without its password
   */
  public static ServoStorage open(String jdbcUrl, StorageOptions options) {
    requireNonNull(options, "options");
    DatabaseUrl url = DatabaseUrl.parse(jdbcUrl);
    SqlDialect dialect = url.dialect();
    // Migrations run on a connection without the socket timeout: a migration, or waiting for
    // another instance's migration lock, may take longer than any statement of a request, and it
    // runs once at startup, where a hang is seen by the platform's startup probe.
    DataSource direct = dialect == SqlDialect.POSTGRESQL ? postgres(url, options, false) : sqlite(url);

    try (Connection connection = direct.getConnection()) {
      connection.isValid(5);
    } catch (SQLException | RuntimeException e) {
      throw openFailure(url, "cannot connect to the Servo database at " + url
          + " (SERVO_DATABASE_URL): " + url.redact(e.getMessage()), e);
    }
    migrate(url, direct);

    HikariConfig config = new HikariConfig();
    config.setPoolName("servo-storage");
    config.setDataSource(dialect == SqlDialect.POSTGRESQL ? postgres(url, options, true) : direct);
    config.setMaximumPoolSize(options.poolSize());
    config.setMinimumIdle(Math.min(2, options.poolSize()));
    // HikariCP's default (30 s) makes every request wait 30 s for a connection while the database
    // is down; failing after a few seconds lets the worker answer 503 and the queue's backoff wait.
    // HikariCP also bounds the driver's login (the whole handshake) by this timeout.
    config.setConnectionTimeout(options.connectionTimeout().toMillis());
    config.setValidationTimeout(options.validationTimeout().toMillis());
    if (dialect == SqlDialect.POSTGRESQL) {
      // Row-level security does not bind a superuser or the tables' owner, which the URL's user
      // usually is; acting as the unprivileged app role makes the policies apply.
      config.setConnectionInitSql("SET ROLE " + APP_ROLE);
    }
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw openFailure(url, "cannot open a connection pool to the Servo database at " + url
          + " (SERVO_DATABASE_URL): " + url.redact(String.valueOf(e.getMessage())), e);
    }
    DataSource wrapped;
    try {
      wrapped = requireNonNull(options.dataSourceWrapper().apply(pool), "dataSourceWrapper returned null");
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new JdbcServoStorage(pool, new Database(wrapped, dialect, options.clock()));
  }

  private static void migrate(DatabaseUrl url, DataSource direct) {
    var flyway = Flyway.configure(Storage.class.getClassLoader())
        .dataSource(direct)
        .locations("classpath:db/migration/" + url.dialect().migrationFolder);
    if (url.dialect() == SqlDialect.POSTGRESQL) {
      flyway.schemas("servo");
    }
    try {
      flyway.load().migrate();
    } catch (FlywayException e) {
      throw openFailure(url, "migrating the Servo database at " + url + " failed: " + url.redact(e.getMessage()), e);
    }
  }

  /**
   * The driver's {@code connectTimeout} (a host that does not answer fails in seconds, not after the
   * OS's minutes), {@code tcpKeepAlive} (idle pooled connections a NAT or firewall forgot are found
   * dead) and, for the pool, {@code socketTimeout} (a statement whose packets are silently dropped
   * fails instead of hanging its thread until the OS gives up on the connection, ~15 min). Each is
   * set only when the URL does not set it, so the URL can override any of them.
   */
  private static DataSource postgres(DatabaseUrl url, StorageOptions options, boolean withSocketTimeout) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    Properties inUrl;
    try {
      dataSource.setURL(url.url());
      inUrl = Driver.parseURL(url.url(), null);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid database URL " + url + ": " + DatabaseUrl.ACCEPTED);
    }
    if (inUrl == null) {
      throw new IllegalArgumentException("invalid database URL " + url + ": " + DatabaseUrl.ACCEPTED);
    }
    if (!inUrl.containsKey(PGProperty.CONNECT_TIMEOUT.getName())) {
      dataSource.setConnectTimeout((int) options.connectTimeout().toSeconds());
    }
    if (withSocketTimeout && !inUrl.containsKey(PGProperty.SOCKET_TIMEOUT.getName())) {
      dataSource.setSocketTimeout((int) options.socketTimeout().toSeconds());
    }
    if (!inUrl.containsKey(PGProperty.TCP_KEEP_ALIVE.getName())) {
      dataSource.setTcpKeepAlive(true);
    }
    return dataSource;
  }

  private static DataSource sqlite(DatabaseUrl url) {
    Path file = url.sqliteFile().toAbsolutePath();
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new StorageException("cannot create the directory of the Servo database at " + url
          + " (SERVO_DATABASE_URL): " + e.getMessage(), e);
    }
    SQLiteConfig config = new SQLiteConfig();
    // WAL lets readers run beside the one writer; the busy timeout lets a second process (worker
    // next to orchestrator) wait for the write lock instead of failing.
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setBusyTimeout(SQLITE_BUSY_TIMEOUT_MILLIS);
    config.enforceForeignKeys(true);
    // IMMEDIATE takes the write lock at BEGIN: two read-then-write transactions never deadlock on
    // upgrading their locks, they queue under the busy timeout.
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    SQLiteDataSource dataSource = new SQLiteDataSource(config);
    dataSource.setUrl(url.url());
    return dataSource;
  }

  /** A driver message can quote the URL; the cause is replaced when it would leak a password. */
  private static StorageException openFailure(DatabaseUrl url, String message, Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (url.leaks(t.getMessage())) {
        SQLException sanitized = new SQLException(url.redact(t.toString()));
        sanitized.setStackTrace(t.getStackTrace());
        return new StorageException(message, sanitized);
      }
    }
    return new StorageException(message, cause);
  }
}
