package io.servo.storage;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
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
    DataSource direct = dialect == SqlDialect.POSTGRESQL ? postgres(url) : sqlite(url);

    try (Connection connection = direct.getConnection()) {
      connection.isValid(5);
    } catch (SQLException | RuntimeException e) {
      throw openFailure(url, "cannot connect to the Servo database at " + url
          + " (SERVO_DATABASE_URL): " + url.redact(e.getMessage()), e);
    }
    migrate(url, direct);

    HikariConfig config = new HikariConfig();
    config.setPoolName("servo-storage");
    config.setDataSource(direct);
    config.setMaximumPoolSize(options.poolSize());
    config.setMinimumIdle(Math.min(2, options.poolSize()));
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

  private static DataSource postgres(DatabaseUrl url) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    try {
      dataSource.setURL(url.url());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid database URL " + url + ": " + DatabaseUrl.ACCEPTED);
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
