package io.servo.storage;

import javax.sql.DataSource;

/**
 * Servo's database: PostgreSQL (row-level security per tenant) or SQLite (embedded default).
 * Opened with {@code Storage.open(...)}, which runs the migrations first.
 */
public interface ServoStorage extends AutoCloseable {
  enum Dialect {
    POSTGRESQL,
    SQLITE
  }

  Dialect dialect();

  WorkflowStore workflows();

  ExecutionStore executions();

  OutboxStore outbox();

  /**
   * Runs {@code work} in one transaction in which only {@code tenant}'s rows are visible (on
   * PostgreSQL enforced by row-level security keyed on a transaction-local setting).
   */
  <T> T inTenant(String tenant, TenantWork<T> work);

  /** True when a trivial query succeeds now (the worker's {@code /ready}). */
  boolean isReady();

  /** The pooled data source, for the runtime's own needs (e.g. a warehouse that is the Servo database). */
  DataSource dataSource();

  @Override
  void close();
}
