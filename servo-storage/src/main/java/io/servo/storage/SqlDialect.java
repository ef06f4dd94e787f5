package io.servo.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.postgresql.PGConnection;

/**
 * The few places where PostgreSQL and SQLite differ. Statements are written once with two
 * placeholders: {@code {s}} (the schema prefix), {@code {skipLocked}} (row locking in a claim) and
 * {@code {forShare}} (a shared row lock that a concurrent update must wait for).
 */
enum SqlDialect {
  POSTGRESQL(ServoStorage.Dialect.POSTGRESQL, "postgresql", "servo.", " FOR UPDATE SKIP LOCKED", " FOR SHARE") {
    @Override
    void bindInstant(PreparedStatement statement, int index, Instant value) throws SQLException {
      if (value == null) {
        statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
      } else {
        statement.setObject(index, OffsetDateTime.ofInstant(value, ZoneOffset.UTC));
      }
    }

    @Override
    Instant instant(ResultSet row, String column) throws SQLException {
      OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
      return value == null ? null : value.toInstant();
    }

    @Override
    void enterTenant(Connection connection, String tenant) throws SQLException {
      setLocal(connection, "servo.tenant_id", tenant);
    }

    @Override
    void enterSystemScope(Connection connection) throws SQLException {
      setLocal(connection, "servo.scope", "system");
    }

    /**
     * Transaction-local ({@code is_local = true}): the setting ends with the transaction, so a
     * pooled connection never carries it over. It runs on the driver's own connection, beneath the
     * tracing wrapper: row-level security's plumbing, one statement per transaction, is not a span
     * a user needs in every execution's trace (nor worth its cost).
     */
    private void setLocal(Connection connection, String name, String value) throws SQLException {
      Connection driver = connection.isWrapperFor(PGConnection.class)
          ? (Connection) connection.unwrap(PGConnection.class)
          : connection;
      try (PreparedStatement statement = driver.prepareStatement("SELECT set_config(?, ?, true)")) {
        statement.setString(1, name);
        statement.setString(2, value);
        statement.executeQuery().close();
      }
    }
  },

  /** Time is stored as epoch milliseconds; tenants are separated by the WHERE clauses alone. */
  SQLITE(ServoStorage.Dialect.SQLITE, "sqlite", "", "", "") {
    @Override
    void bindInstant(PreparedStatement statement, int index, Instant value) throws SQLException {
      if (value == null) {
        statement.setNull(index, Types.BIGINT);
      } else {
        statement.setLong(index, value.toEpochMilli());
      }
    }

    @Override
    Instant instant(ResultSet row, String column) throws SQLException {
      long value = row.getLong(column);
      return row.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    @Override
    void enterTenant(Connection connection, String tenant) {}

    @Override
    void enterSystemScope(Connection connection) {}
  };

  final ServoStorage.Dialect publicDialect;
  /** Folder under {@code db/migration/} holding this dialect's Flyway scripts. */
  final String migrationFolder;
  private final String schemaPrefix;
  private final String skipLocked;
  private final String forShare;

  SqlDialect(ServoStorage.Dialect publicDialect, String migrationFolder, String schemaPrefix, String skipLocked,
      String forShare) {
    this.publicDialect = publicDialect;
    this.migrationFolder = migrationFolder;
    this.schemaPrefix = schemaPrefix;
    this.skipLocked = skipLocked;
    this.forShare = forShare;
  }

  String sql(String template) {
    return template.replace("{s}", schemaPrefix).replace("{skipLocked}", skipLocked).replace("{forShare}", forShare);
  }

  abstract void bindInstant(PreparedStatement statement, int index, Instant value) throws SQLException;

  abstract Instant instant(ResultSet row, String column) throws SQLException;

  /** First statement of a tenant-scoped transaction. */
  abstract void enterTenant(Connection connection, String tenant) throws SQLException;

  /** First statement of a cross-tenant transaction (outbox relay, lease sweeper). */
  abstract void enterSystemScope(Connection connection) throws SQLException;
}
