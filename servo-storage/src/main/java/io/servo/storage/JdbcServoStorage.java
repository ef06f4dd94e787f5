package io.servo.storage;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

final class JdbcServoStorage implements ServoStorage {
  private final HikariDataSource pool;
  private final Database db;
  private final JdbcWorkflowStore workflows;
  private final JdbcExecutionStore executions;
  private final JdbcOutboxStore outbox;

  JdbcServoStorage(HikariDataSource pool, Database db) {
    this.pool = pool;
    this.db = db;
    this.workflows = new JdbcWorkflowStore(db);
    this.outbox = new JdbcOutboxStore(db);
    this.executions = new JdbcExecutionStore(db, outbox);
  }

  @Override
  public Dialect dialect() {
    return db.dialect().publicDialect;
  }

  @Override
  public WorkflowStore workflows() {
    return workflows;
  }

  @Override
  public ExecutionStore executions() {
    return executions;
  }

  @Override
  public OutboxStore outbox() {
    return outbox;
  }

  @Override
  public <T> T inTenant(String tenant, TenantWork<T> work) {
    return db.write(tenant, "tenant work", work);
  }

  @Override
  public boolean isReady() {
    try (Connection connection = db.dataSource().getConnection()) {
      return connection.isValid(2);
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public DataSource dataSource() {
    return db.dataSource();
  }

  @Override
  public void close() {
    pool.close();
  }
}
