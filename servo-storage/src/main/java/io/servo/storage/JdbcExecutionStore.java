package io.servo.storage;

import static java.util.Objects.requireNonNull;

import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

final class JdbcExecutionStore implements ExecutionStore {
  private static final String COLUMNS = "id, tenant_id, workflow, workflow_version, state, idempotency_key, "
      + "trace_id, error, attempt, created_at, started_at, ended_at, lease_until, trace_kept";
  private static final String ASSET_COLUMNS =
      "execution_id, asset_name, kind, status, attempt, started_at, ended_at, output, error";

  private final Database db;
  private final JdbcOutboxStore outbox;
  private final String insert;
  private final String selectById;
  private final String selectByKey;
  private final String transition;
  private final String claim;
  private final String renew;
  private final String release;
  private final String finish;
  private final String recordKept;
  private final String clearKept;
  private final String selectTraceParent;
  private final String selectEndedOf;
  // Only what the orchestrator needs, read for every execution it holds: the row of one not kept
  // is its id alone (the poll runs every second; its allocation is part of what keeping costs).
  private static final String ENDED_OF = "SELECT id, trace_kept, "
      + "CASE WHEN trace_kept IS NULL THEN NULL ELSE ended_at END AS kept_ended_at, "
      + "CASE WHEN trace_kept IS NULL THEN NULL ELSE kept_spans END AS kept_spans "
      + "FROM {s}executions WHERE state IN ('succeeded', 'failed', 'timeout', 'cancelled') AND id ";
  private final String upsertAsset;
  private final String selectAssets;
  private final String selectExpired;
  private final String selectPendingWithoutTask;
  private final String selectLostAssetSpans;
  private final String takeLost;

  JdbcExecutionStore(Database db, JdbcOutboxStore outbox) {
    this.db = db;
    this.outbox = outbox;
    SqlDialect d = db.dialect();
    insert = d.sql("INSERT INTO {s}executions (id, tenant_id, workflow, workflow_version, state, idempotency_key, "
        + "trace_id, trace_parent, attempt, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, 0, ?, ?) "
        + "ON CONFLICT (tenant_id, workflow, idempotency_key) DO NOTHING RETURNING " + COLUMNS);
    selectById = d.sql("SELECT " + COLUMNS + " FROM {s}executions WHERE tenant_id = ? AND id = ?");
    selectByKey = d.sql("SELECT " + COLUMNS + " FROM {s}executions "
        + "WHERE tenant_id = ? AND workflow = ? AND idempotency_key = ?");
    // A state change ends any lease: an ended execution holds none, and one sent back to running
    // by hand holds none until a worker claims it.
    transition = d.sql("UPDATE {s}executions SET state = ?, error = ?, ended_at = ?, lease_until = NULL, "
        + "open_spans = NULL, updated_at = ? "
        + "WHERE tenant_id = ? AND id = ? AND state = ?");
    // A running execution without a lease (released, or sent back to running by hand) is as
    // claimable as one whose lease ran out. SET reads the row as it was: the lost attempt's open
    // spans and lease move to lost_* in the same statement that records the new attempt's, so the
    // one claim that wins the row is the one that gets them (released and ended attempts hold none).
    claim = d.sql("UPDATE {s}executions SET state = 'running', attempt = attempt + 1, lease_until = ?, "
        + "started_at = COALESCE(started_at, ?), updated_at = ?, "
        + "lost_spans = CASE WHEN state = 'running' THEN open_spans END, "
        + "lost_lease_until = CASE WHEN state = 'running' THEN lease_until END, open_spans = ? "
        + "WHERE tenant_id = ? AND id = ? "
        + "AND (state = 'pending' OR (state = 'running' AND (lease_until IS NULL OR lease_until < ?))) "
        + "RETURNING " + COLUMNS + ", lost_spans, lost_lease_until");
    renew = d.sql("UPDATE {s}executions SET lease_until = ?, updated_at = ? "
        + "WHERE tenant_id = ? AND id = ? AND state = 'running' AND attempt = ?");
    release = d.sql("UPDATE {s}executions SET lease_until = NULL, open_spans = NULL, updated_at = ? "
        + "WHERE tenant_id = ? AND id = ? AND state = 'running' AND attempt = ?");
    finish = d.sql("UPDATE {s}executions SET state = ?, error = ?, ended_at = ?, lease_until = NULL, "
        + "open_spans = NULL, updated_at = ?, trace_kept = ? "
        + "WHERE tenant_id = ? AND id = ? AND state = 'running' AND attempt = ?");
    recordKept = d.sql("UPDATE {s}executions SET kept_spans = ? "
        + "WHERE tenant_id = ? AND id = ? AND trace_kept IS NOT NULL");
    clearKept = d.sql("UPDATE {s}executions SET kept_spans = NULL WHERE id = ?");
    selectEndedOf = d.sql(ENDED_OF + "= ANY(?)");
    selectTraceParent = d.sql("SELECT trace_parent FROM {s}executions WHERE id = ?");
    // Takes tenant and id from the execution row, so a result can only join an execution of the
    // same tenant; the upsert then only ever meets that execution's own rows. Fenced like finish:
    // only the attempt holding the running execution writes. On PostgreSQL the execution row is
    // locked FOR SHARE, so a concurrent claim (an UPDATE of that row) either commits first, and the
    // condition is re-checked against it and fails, or waits until this result is committed, and
    // the new attempt reads it. SQLite's one writer (BEGIN IMMEDIATE) orders them anyway.
    upsertAsset = d.sql("INSERT INTO {s}asset_results (execution_id, tenant_id, asset_name, kind, status, attempt, "
        + "started_at, ended_at, output, error, open_spans) "
        + "SELECT id, tenant_id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM {s}executions "
        + "WHERE tenant_id = ? AND id = ? AND state = 'running' AND attempt = ?{forShare} "
        + "ON CONFLICT (execution_id, asset_name) DO UPDATE SET kind = excluded.kind, status = excluded.status, "
        + "attempt = excluded.attempt, started_at = excluded.started_at, ended_at = excluded.ended_at, "
        + "output = excluded.output, error = excluded.error, open_spans = excluded.open_spans");
    selectAssets = d.sql("SELECT " + ASSET_COLUMNS + " FROM {s}asset_results WHERE tenant_id = ? AND execution_id = ? "
        + "ORDER BY started_at NULLS LAST, id");
    selectExpired = d.sql("SELECT " + COLUMNS + " FROM {s}executions "
        + "WHERE state = 'running' AND (lease_until IS NULL OR lease_until < ?) ORDER BY updated_at, id LIMIT ?");
    selectPendingWithoutTask = d.sql("SELECT " + COLUMNS + " FROM {s}executions e "
        + "WHERE e.state = 'pending' AND e.created_at < ? "
        + "AND NOT EXISTS (SELECT 1 FROM {s}task_outbox t WHERE t.execution_id = e.id) "
        + "ORDER BY e.created_at, e.id LIMIT ?");
    // Like a take-over claim, without claiming: open_spans moves to lost_* and is returned once.
    // updated_at is left alone: it orders the sweep, and no state changed.
    takeLost = d.sql("UPDATE {s}executions SET lost_spans = open_spans, lost_lease_until = lease_until, "
        + "open_spans = NULL WHERE tenant_id = ? AND id = ? AND state = 'running' AND attempt = ? "
        + "AND open_spans IS NOT NULL AND lease_until < ? RETURNING lost_spans, lost_lease_until");
    selectLostAssetSpans = d.sql("SELECT open_spans FROM {s}asset_results WHERE tenant_id = ? AND execution_id = ? "
        + "AND attempt = ? AND status = 'running' AND open_spans IS NOT NULL ORDER BY started_at, id");
  }

  /**
   * {@inheritDoc}
   *
   * <p>Two creates racing with one key are decided by the unique key: the loser waits for the
   * winner's commit and returns the winner's execution.
   *
   * @throws IllegalArgumentException when {@code taskName} is already in the outbox
   */
  @Override
  public CreatedExecution create(NewExecution execution, String taskName, byte[] payload) {
    requireNonNull(execution, "execution");
    requireNonNull(execution.id(), "execution.id");
    requireNonNull(execution.workflow(), "execution.workflow");
    requireNonNull(taskName, "taskName");
    requireNonNull(payload, "payload");
    String tenant = execution.tenant();
    return db.write(tenant, "creating an execution", c -> {
      Instant now = db.now();
      Optional<Execution> inserted;
      try (PreparedStatement s = c.prepareStatement(insert)) {
        s.setString(1, execution.id());
        s.setString(2, tenant);
        s.setString(3, execution.workflow());
        s.setInt(4, execution.workflowVersion());
        s.setString(5, execution.idempotencyKey());
        s.setString(6, execution.traceId());
        s.setString(7, execution.traceParent());
        db.dialect().bindInstant(s, 8, now);
        db.dialect().bindInstant(s, 9, now);
        inserted = one(s);
      }
      if (inserted.isPresent()) {
        if (outbox.insert(c, tenant, execution.id(), taskName, payload) != 1) {
          throw new IllegalArgumentException("task name " + taskName + " is already in the outbox");
        }
        return new CreatedExecution(inserted.get(), true);
      }
      try (PreparedStatement s = c.prepareStatement(selectByKey)) {
        s.setString(1, tenant);
        s.setString(2, execution.workflow());
        s.setString(3, execution.idempotencyKey());
        Execution existing = one(s).orElseThrow(() -> new IllegalStateException(
            "the idempotency key conflicted but its execution is not visible"));
        return new CreatedExecution(existing, false);
      }
    });
  }

  @Override
  public Optional<Execution> find(String tenant, String executionId) {
    requireNonNull(executionId, "executionId");
    return db.read(tenant, "reading an execution", c -> {
      try (PreparedStatement s = c.prepareStatement(selectById)) {
        s.setString(1, tenant);
        s.setString(2, executionId);
        return one(s);
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the state machine has no {@code from → to}
   */
  @Override
  public boolean transition(String tenant, String executionId, ExecutionState from, ExecutionState to, String error) {
    requireNonNull(executionId, "executionId");
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    if (!from.canTransitionTo(to)) {
      throw new IllegalArgumentException(from.wireName() + " → " + to.wireName() + " is not a transition; "
          + from.wireName() + " may become " + from.allowedNext());
    }
    return db.write(tenant, "changing an execution's state", c -> {
      Instant now = db.now();
      try (PreparedStatement s = c.prepareStatement(transition)) {
        s.setString(1, to.wireName());
        s.setString(2, error);
        db.dialect().bindInstant(s, 3, to.isEnded() ? now : null);
        db.dialect().bindInstant(s, 4, now);
        s.setString(5, tenant);
        s.setString(6, executionId);
        s.setString(7, from.wireName());
        return s.executeUpdate() == 1;
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Costs nothing beyond the claim's own UPDATE unless it takes over an attempt that left spans
   * open; then one more SELECT, in the same transaction, reads what its running asset recorded.
   */
  @Override
  public Optional<Claim> claim(String tenant, String executionId, Duration lease, String openSpans) {
    requireNonNull(executionId, "executionId");
    checkLease(lease);
    return db.write(tenant, "claiming an execution", c -> {
      Instant now = db.now();
      Execution execution;
      String lostSpans;
      Instant lostLease;
      try (PreparedStatement s = c.prepareStatement(claim)) {
        db.dialect().bindInstant(s, 1, now.plus(lease));
        db.dialect().bindInstant(s, 2, now);
        db.dialect().bindInstant(s, 3, now);
        s.setString(4, openSpans);
        s.setString(5, tenant);
        s.setString(6, executionId);
        db.dialect().bindInstant(s, 7, now);
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) {
            return Optional.empty();
          }
          execution = execution(r);
          lostSpans = r.getString("lost_spans");
          lostLease = db.dialect().instant(r, "lost_lease_until");
        }
      }
      return Optional.of(new Claim(execution, lostSpans == null ? null
          : lostAttempt(c, tenant, executionId, execution.attempt() - 1, lostSpans, lostLease)));
    });
  }

  @Override
  public Optional<LostAttempt> takeLostAttempt(String tenant, String executionId, int attempt) {
    requireNonNull(executionId, "executionId");
    return db.write(tenant, "taking a lost attempt's open spans", c -> {
      String spans;
      Instant lease;
      try (PreparedStatement s = c.prepareStatement(takeLost)) {
        s.setString(1, tenant);
        s.setString(2, executionId);
        s.setInt(3, attempt);
        db.dialect().bindInstant(s, 4, db.now());
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) {
            return Optional.empty();
          }
          spans = r.getString("lost_spans");
          lease = db.dialect().instant(r, "lost_lease_until");
        }
      }
      return Optional.of(lostAttempt(c, tenant, executionId, attempt, spans, lease));
    });
  }

  /** The lost attempt with what its running assets recorded, read in the taker's transaction. */
  private LostAttempt lostAttempt(Connection c, String tenant, String executionId, int attempt,
      String executionSpans, Instant leaseUntil) throws SQLException {
    List<String> spans = new ArrayList<>();
    spans.add(executionSpans);
    try (PreparedStatement s = c.prepareStatement(selectLostAssetSpans)) {
      s.setString(1, tenant);
      s.setString(2, executionId);
      s.setInt(3, attempt);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          spans.add(r.getString(1));
        }
      }
    }
    return new LostAttempt(attempt, leaseUntil, spans);
  }

  @Override
  public boolean renewLease(String tenant, String executionId, int attempt, Duration lease) {
    requireNonNull(executionId, "executionId");
    checkLease(lease);
    return db.write(tenant, "renewing an execution's lease", c -> {
      Instant now = db.now();
      try (PreparedStatement s = c.prepareStatement(renew)) {
        db.dialect().bindInstant(s, 1, now.plus(lease));
        db.dialect().bindInstant(s, 2, now);
        s.setString(3, tenant);
        s.setString(4, executionId);
        s.setInt(5, attempt);
        return s.executeUpdate() == 1;
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>The execution stays running without a lease, so the redelivered task (or the sweeper)
   * can claim it at once.
   */
  @Override
  public boolean releaseLease(String tenant, String executionId, int attempt) {
    requireNonNull(executionId, "executionId");
    return db.write(tenant, "releasing an execution's lease", c -> {
      try (PreparedStatement s = c.prepareStatement(release)) {
        db.dialect().bindInstant(s, 1, db.now());
        s.setString(2, tenant);
        s.setString(3, executionId);
        s.setInt(4, attempt);
        return s.executeUpdate() == 1;
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when {@code to} is not an ended state
   */
  @Override
  public boolean finish(String tenant, String executionId, int attempt, ExecutionState to, String error,
      String traceKept) {
    requireNonNull(executionId, "executionId");
    requireNonNull(to, "to");
    if (!ExecutionState.RUNNING.canTransitionTo(to)) {
      throw new IllegalArgumentException("an execution finishes as one of "
          + ExecutionState.RUNNING.allowedNext() + ", not " + to);
    }
    return db.write(tenant, "finishing an execution", c -> {
      Instant now = db.now();
      try (PreparedStatement s = c.prepareStatement(finish)) {
        s.setString(1, to.wireName());
        s.setString(2, error);
        db.dialect().bindInstant(s, 3, now);
        db.dialect().bindInstant(s, 4, now);
        s.setString(5, traceKept);
        s.setString(6, tenant);
        s.setString(7, executionId);
        s.setInt(8, attempt);
        return s.executeUpdate() == 1;
      }
    });
  }

  @Override
  public boolean recordKeptSpans(String tenant, String executionId, String keptSpans) {
    requireNonNull(executionId, "executionId");
    requireNonNull(keptSpans, "keptSpans");
    return db.write(tenant, "recording a kept trace", c -> {
      try (PreparedStatement s = c.prepareStatement(recordKept)) {
        s.setString(1, keptSpans);
        s.setString(2, tenant);
        s.setString(3, executionId);
        return s.executeUpdate() == 1;
      }
    });
  }

  @Override
  public List<KeptTraceState> endedOf(java.util.Collection<String> executionIds) {
    if (executionIds.isEmpty()) {
      return List.of();
    }
    List<String> ids = List.copyOf(executionIds);
    // PostgreSQL: one statement text whatever the count (its plan is prepared once); SQLite has no
    // arrays, so a list of markers. The orchestrator asks about the executions it holds, a few hundred.
    boolean arrays = db.dialect() == SqlDialect.POSTGRESQL;
    String sql = arrays ? selectEndedOf : db.dialect().sql(ENDED_OF + "IN ("
        + String.join(", ", java.util.Collections.nCopies(ids.size(), "?")) + ")");
    return db.system("finding ended executions of kept traces", c -> {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        if (arrays) {
          s.setArray(1, c.createArrayOf("text", ids.toArray()));
        } else {
          for (int i = 0; i < ids.size(); i++) {
            s.setString(i + 1, ids.get(i));
          }
        }
        List<KeptTraceState> found = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            String kept = r.getString("trace_kept");
            found.add(new KeptTraceState(r.getString("id"), kept == null ? null : db.dialect().instant(r, "kept_ended_at"),
                kept, r.getString("kept_spans")));
          }
        }
        return found;
      }
    });
  }

  @Override
  public Optional<String> traceParent(String executionId) {
    return db.system("reading an execution's trace parent", c -> {
      try (PreparedStatement s = c.prepareStatement(selectTraceParent)) {
        s.setString(1, executionId);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }

  @Override
  public void clearKeptSpans(String executionId) {
    db.system("forgetting an exported kept trace", c -> {
      try (PreparedStatement s = c.prepareStatement(clearKept)) {
        s.setString(1, executionId);
        return s.executeUpdate();
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when {@code tenant} has no such execution
   */
  @Override
  public boolean recordAssetResult(String tenant, AssetResult result, String openSpans) {
    requireNonNull(result, "result");
    requireNonNull(result.executionId(), "result.executionId");
    requireNonNull(result.assetName(), "result.assetName");
    requireNonNull(result.kind(), "result.kind");
    requireNonNull(result.status(), "result.status");
    return db.write(tenant, "recording an asset result", c -> {
      try (PreparedStatement s = c.prepareStatement(upsertAsset)) {
        s.setString(1, result.assetName());
        s.setString(2, result.kind());
        s.setString(3, result.status().wireName());
        s.setInt(4, result.attempt());
        db.dialect().bindInstant(s, 5, result.startedAt());
        db.dialect().bindInstant(s, 6, result.endedAt());
        s.setString(7, result.output());
        s.setString(8, result.error());
        s.setString(9, result.status() == AssetStatus.RUNNING ? openSpans : null);
        s.setString(10, tenant);
        s.setString(11, result.executionId());
        s.setInt(12, result.attempt());
        if (s.executeUpdate() == 1) {
          return true;
        }
      }
      // Nothing written: either the claim moved on (fenced) or there is no such execution.
      try (PreparedStatement s = c.prepareStatement(selectById)) {
        s.setString(1, tenant);
        s.setString(2, result.executionId());
        if (one(s).isEmpty()) {
          throw new IllegalArgumentException("tenant " + tenant + " has no execution " + result.executionId());
        }
      }
      return false;
    });
  }

  @Override
  public List<AssetResult> assetResults(String tenant, String executionId) {
    requireNonNull(executionId, "executionId");
    return db.read(tenant, "reading asset results", c -> {
      try (PreparedStatement s = c.prepareStatement(selectAssets)) {
        s.setString(1, tenant);
        s.setString(2, executionId);
        List<AssetResult> results = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            results.add(new AssetResult(
                r.getString("execution_id"),
                r.getString("asset_name"),
                r.getString("kind"),
                AssetStatus.fromWireName(r.getString("status")),
                r.getInt("attempt"),
                db.dialect().instant(r, "started_at"),
                db.dialect().instant(r, "ended_at"),
                r.getString("output"),
                r.getString("error")));
          }
        }
        return results;
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Includes running executions holding no lease at all (released, or sent back to running by
   * hand and never claimed), oldest change first.
   */
  @Override
  public List<Execution> expiredLeases(Instant now, int limit) {
    requireNonNull(now, "now");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    return db.system("finding expired leases", c -> {
      try (PreparedStatement s = c.prepareStatement(selectExpired)) {
        db.dialect().bindInstant(s, 1, now);
        s.setInt(2, limit);
        List<Execution> expired = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            expired.add(execution(r));
          }
        }
        return expired;
      }
    });
  }

  @Override
  public List<Execution> pendingWithoutTask(Instant createdBefore, int limit) {
    requireNonNull(createdBefore, "createdBefore");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    return db.system("finding pending executions without a task", c -> {
      try (PreparedStatement s = c.prepareStatement(selectPendingWithoutTask)) {
        db.dialect().bindInstant(s, 1, createdBefore);
        s.setInt(2, limit);
        List<Execution> found = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            found.add(execution(r));
          }
        }
        return found;
      }
    });
  }

  private static void checkLease(Duration lease) {
    requireNonNull(lease, "lease");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, got " + lease);
    }
  }

  private Optional<Execution> one(PreparedStatement s) throws SQLException {
    try (ResultSet r = s.executeQuery()) {
      return r.next() ? Optional.of(execution(r)) : Optional.empty();
    }
  }

  private Execution execution(ResultSet r) throws SQLException {
    String state = r.getString("state");
    return new Execution(
        r.getString("id"),
        r.getString("tenant_id"),
        r.getString("workflow"),
        r.getInt("workflow_version"),
        ExecutionState.fromWireName(state)
            .orElseThrow(() -> new IllegalStateException("unknown execution state in the database: " + state)),
        r.getString("idempotency_key"),
        r.getString("trace_id"),
        r.getString("error"),
        r.getInt("attempt"),
        db.dialect().instant(r, "created_at"),
        db.dialect().instant(r, "started_at"),
        db.dialect().instant(r, "ended_at"),
        db.dialect().instant(r, "lease_until"),
        r.getString("trace_kept"));
  }
}
