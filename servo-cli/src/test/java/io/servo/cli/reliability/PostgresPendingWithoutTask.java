package io.servo.cli.reliability;

import io.servo.runtime.sweeper.PendingWithoutTask;
import io.servo.storage.Execution;
import io.servo.storage.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The query servo-storage does not have yet ({@link PendingWithoutTask}), run by the test as the
 * database's superuser: pending executions created before a time whose task is no longer in the
 * outbox. Once servo-storage has it, {@code storage.executions()::pendingWithoutTask} replaces this.
 */
final class PostgresPendingWithoutTask implements PendingWithoutTask {
  static final String SQL = "SELECT e.tenant_id, e.id FROM servo.executions e WHERE e.state = 'pending' "
      + "AND e.created_at < ? AND NOT EXISTS (SELECT 1 FROM servo.task_outbox t WHERE t.execution_id = e.id) "
      + "ORDER BY e.created_at, e.id LIMIT ?";

  private final PostgresTestDatabase database;
  private final ServoStorage storage;

  PostgresPendingWithoutTask(PostgresTestDatabase database, ServoStorage storage) {
    this.database = database;
    this.storage = storage;
  }

  @Override
  public List<Execution> find(Instant createdBefore, int limit) {
    List<Execution> found = new ArrayList<>();
    try (Connection c = database.connect(); PreparedStatement s = c.prepareStatement(SQL)) {
      s.setObject(1, OffsetDateTime.ofInstant(createdBefore, ZoneOffset.UTC));
      s.setInt(2, limit);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          storage.executions().find(r.getString(1), r.getString(2)).ifPresent(found::add);
        }
      }
    } catch (SQLException e) {
      throw new io.servo.storage.StorageException("finding pending executions without a task failed", e);
    }
    return found;
  }
}
