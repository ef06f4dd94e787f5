package io.servo.storage;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

final class JdbcWorkflowStore implements WorkflowStore {
  private static final String COLUMNS = "tenant_id, name, version, definition, created_at";

  private final Database db;
  private final String selectLatest;
  private final String selectVersion;
  private final String insert;

  JdbcWorkflowStore(Database db) {
    this.db = db;
    SqlDialect d = db.dialect();
    selectLatest = d.sql("SELECT " + COLUMNS + " FROM {s}workflows WHERE tenant_id = ? AND name = ? ORDER BY version DESC LIMIT 1");
    selectVersion = d.sql("SELECT " + COLUMNS + " FROM {s}workflows WHERE tenant_id = ? AND name = ? AND version = ?");
    insert = d.sql("INSERT INTO {s}workflows (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?) "
        + "ON CONFLICT (tenant_id, name, version) DO NOTHING");
  }

  @Override
  public StoredWorkflow deploy(String tenant, String name, String definitionJson) {
    requireNonNull(name, "name");
    requireNonNull(definitionJson, "definitionJson");
    // Two deploys racing for the same next version: the unique key lets one in, the other sees
    // the winner on its retry and either returns it (same definition) or takes the version after.
    for (int round = 0; round < 2; round++) {
      Optional<StoredWorkflow> stored = db.write(tenant, "deploying a workflow", c -> {
        Optional<StoredWorkflow> latest = latest(c, tenant, name);
        if (latest.isPresent() && latest.get().definitionJson().equals(definitionJson)) {
          return latest;
        }
        StoredWorkflow next = new StoredWorkflow(
            tenant, name, latest.map(w -> w.version() + 1).orElse(1), definitionJson, db.now());
        try (PreparedStatement s = c.prepareStatement(insert)) {
          s.setString(1, next.tenant());
          s.setString(2, next.name());
          s.setInt(3, next.version());
          s.setString(4, next.definitionJson());
          db.dialect().bindInstant(s, 5, next.createdAt());
          return s.executeUpdate() == 1 ? Optional.of(next) : Optional.empty();
        }
      });
      if (stored.isPresent()) {
        return stored.get();
      }
    }
    throw new StorageException("deploying a workflow failed: concurrent deploys of it kept taking the next version", null);
  }

  @Override
  public Optional<StoredWorkflow> latest(String tenant, String name) {
    requireNonNull(name, "name");
    return db.read(tenant, "reading a workflow", c -> latest(c, tenant, name));
  }

  @Override
  public Optional<StoredWorkflow> version(String tenant, String name, int version) {
    requireNonNull(name, "name");
    return db.read(tenant, "reading a workflow version", c -> {
      try (PreparedStatement s = c.prepareStatement(selectVersion)) {
        s.setString(1, tenant);
        s.setString(2, name);
        s.setInt(3, version);
        return one(s);
      }
    });
  }

  private Optional<StoredWorkflow> latest(Connection c, String tenant, String name) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(selectLatest)) {
      s.setString(1, tenant);
      s.setString(2, name);
      return one(s);
    }
  }

  private Optional<StoredWorkflow> one(PreparedStatement s) throws SQLException {
    try (ResultSet r = s.executeQuery()) {
      if (!r.next()) {
        return Optional.empty();
      }
      Instant createdAt = db.dialect().instant(r, "created_at");
      return Optional.of(new StoredWorkflow(
          r.getString("tenant_id"), r.getString("name"), r.getInt("version"), r.getString("definition"), createdAt));
    }
  }
}
