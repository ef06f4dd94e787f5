package io.servo.storage;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import javax.sql.DataSource;

/** Transactions on the pool, scoped to one tenant or to the system, and the one clock. */
final class Database {
  private final DataSource dataSource;
  private final SqlDialect dialect;
  private final Clock clock;

  Database(DataSource dataSource, SqlDialect dialect, Clock clock) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.clock = clock;
  }

  SqlDialect dialect() {
    return dialect;
  }

  DataSource dataSource() {
    return dataSource;
  }

  /** Milliseconds: the precision both dialects store, so a value reads back equal to what was written. */
  Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  static String tenant(String tenant) {
    requireNonNull(tenant, "tenant");
    if (tenant.isBlank()) {
      throw new IllegalArgumentException("tenant must not be blank");
    }
    return tenant;
  }

  /** {@code work} in one transaction that sees only {@code tenant}'s rows. */
  <T> T write(String tenant, String action, TenantWork<T> work) {
    String checked = tenant(tenant);
    return transaction(action, false, connection -> {
      dialect.enterTenant(connection, checked);
      return work.run(connection);
    });
  }

  /** Like {@link #write} for work that only reads. */
  <T> T read(String tenant, String action, TenantWork<T> work) {
    String checked = tenant(tenant);
    return transaction(action, true, connection -> {
      dialect.enterTenant(connection, checked);
      return work.run(connection);
    });
  }

  /** Cross-tenant work; only the outbox relay and the lease sweeper use it. */
  <T> T system(String action, TenantWork<T> work) {
    return transaction(action, false, connection -> {
      dialect.enterSystemScope(connection);
      return work.run(connection);
    });
  }

  private <T> T transaction(String action, boolean readOnly, TenantWork<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      // SQLite transactions begin IMMEDIATE (they take the write lock up front, so two writers
      // never deadlock upgrading a read lock); a read needs no transaction there and would
      // otherwise queue behind writers. PostgreSQL needs one for the transaction-local settings.
      if (readOnly && dialect == SqlDialect.SQLITE) {
        return work.run(connection);
      }
      connection.setAutoCommit(false);
      try {
        T result = work.run(connection);
        connection.commit();
        // Back to auto-commit at once: sqlite-jdbc opens the next transaction eagerly after a
        // commit, and an idle pooled connection must not hold SQLite's write lock.
        connection.setAutoCommit(true);
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollback(connection, e);
        throw e;
      }
    } catch (SQLException e) {
      throw failure(action, e);
    }
  }

  private static void rollback(Connection connection, Throwable failure) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /** Says what failed and the SQLState; the driver's text (which may quote values) stays in the cause. */
  static StorageException failure(String action, SQLException e) {
    String state = e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")";
    return new StorageException(action + " failed" + state, e);
  }
}
