package io.servo.storage;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

final class JdbcOutboxStore implements OutboxStore {
  private static final String COLUMNS =
      "id, tenant_id, execution_id, task_name, payload, attempts, available_at, last_error";
  /** Long enough for any queue's error text; short enough that a chatty one cannot bloat the row. */
  private static final int MAX_ERROR_LENGTH = 4000;

  private final Database db;
  private final String claimDue;
  private final String delete;
  private final String fail;
  private final String selectPending;
  private final String insert;
  private final String executionExists;

  JdbcOutboxStore(Database db) {
    this.db = db;
    SqlDialect d = db.dialect();
    // One statement claims: the CTE picks due rows (on PostgreSQL skipping rows another relay has
    // locked), the UPDATE pushes them out of reach for the lease. SQLite runs it under its single
    // write lock, so two callers cannot pick the same row either.
    claimDue = d.sql("WITH due AS (SELECT id FROM {s}task_outbox WHERE available_at <= ? "
        + "ORDER BY available_at, id LIMIT ?{skipLocked}) "
        + "UPDATE {s}task_outbox SET available_at = ?, attempts = attempts + 1 "
        + "WHERE id IN (SELECT id FROM due) RETURNING " + COLUMNS);
    delete = d.sql("DELETE FROM {s}task_outbox WHERE id = ?");
    fail = d.sql("UPDATE {s}task_outbox SET last_error = ?, available_at = ? WHERE id = ?");
    selectPending = d.sql("SELECT " + COLUMNS + " FROM {s}task_outbox WHERE tenant_id = ? AND execution_id = ? "
        + "ORDER BY id LIMIT 1");
    // Copies tenant and id from the execution row, so a task can only join an execution of the
    // same tenant.
    insert = d.sql("INSERT INTO {s}task_outbox "
        + "(tenant_id, execution_id, task_name, payload, attempts, available_at, created_at) "
        + "SELECT tenant_id, id, ?, ?, 0, ?, ? FROM {s}executions WHERE tenant_id = ? AND id = ? "
        + "ON CONFLICT (task_name) DO NOTHING");
    executionExists = d.sql("SELECT 1 FROM {s}executions WHERE tenant_id = ? AND id = ?");
  }

  @Override
  public List<OutboxTask> claimDue(Instant now, Duration lease, int limit) {
    requireNonNull(now, "now");
    requireNonNull(lease, "lease");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, got " + lease);
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    return db.system("claiming outbox tasks", c -> {
      try (PreparedStatement s = c.prepareStatement(claimDue)) {
        db.dialect().bindInstant(s, 1, now);
        s.setInt(2, limit);
        db.dialect().bindInstant(s, 3, now.plus(lease));
        List<OutboxTask> tasks = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            tasks.add(task(r));
          }
        }
        // RETURNING gives no order on SQLite.
        tasks.sort(Comparator.comparingLong(OutboxTask::id));
        return tasks;
      }
    });
  }

  @Override
  public void markDispatched(long taskId) {
    db.system("removing a dispatched outbox task", c -> {
      try (PreparedStatement s = c.prepareStatement(delete)) {
        s.setLong(1, taskId);
        return s.executeUpdate();
      }
    });
  }

  @Override
  public void markFailed(long taskId, String error, Instant retryAt) {
    requireNonNull(retryAt, "retryAt");
    String truncated = error == null || error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
    db.system("recording an outbox task failure", c -> {
      try (PreparedStatement s = c.prepareStatement(fail)) {
        s.setString(1, truncated);
        db.dialect().bindInstant(s, 2, retryAt);
        s.setLong(3, taskId);
        return s.executeUpdate();
      }
    });
  }

  @Override
  public Optional<OutboxTask> pendingFor(String tenant, String executionId) {
    requireNonNull(executionId, "executionId");
    return db.read(tenant, "reading an outbox task", c -> {
      try (PreparedStatement s = c.prepareStatement(selectPending)) {
        s.setString(1, tenant);
        s.setString(2, executionId);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? Optional.of(task(r)) : Optional.empty();
        }
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Adding a task name that is already in the outbox does nothing.
   *
   * @throws IllegalArgumentException when {@code tenant} has no such execution
   */
  @Override
  public void add(String tenant, String executionId, String taskName, byte[] payload) {
    requireNonNull(executionId, "executionId");
    db.write(tenant, "adding an outbox task", c -> {
      if (insert(c, tenant, executionId, taskName, payload) == 0 && !executionExists(c, tenant, executionId)) {
        throw new IllegalArgumentException("tenant " + tenant + " has no execution " + executionId);
      }
      return null;
    });
  }

  /** Inserts a task available now; 0 when the execution is not the tenant's or the name is taken. */
  int insert(Connection c, String tenant, String executionId, String taskName, byte[] payload) throws SQLException {
    requireNonNull(taskName, "taskName");
    requireNonNull(payload, "payload");
    Instant now = db.now();
    try (PreparedStatement s = c.prepareStatement(insert)) {
      s.setString(1, taskName);
      s.setBytes(2, payload);
      db.dialect().bindInstant(s, 3, now);
      db.dialect().bindInstant(s, 4, now);
      s.setString(5, tenant);
      s.setString(6, executionId);
      return s.executeUpdate();
    }
  }

  private boolean executionExists(Connection c, String tenant, String executionId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(executionExists)) {
      s.setString(1, tenant);
      s.setString(2, executionId);
      try (ResultSet r = s.executeQuery()) {
        return r.next();
      }
    }
  }

  private OutboxTask task(ResultSet r) throws SQLException {
    return new OutboxTask(
        r.getLong("id"),
        r.getString("tenant_id"),
        r.getString("execution_id"),
        r.getString("task_name"),
        r.getBytes("payload"),
        r.getInt("attempts"),
        db.dialect().instant(r, "available_at"),
        r.getString("last_error"));
  }
}
