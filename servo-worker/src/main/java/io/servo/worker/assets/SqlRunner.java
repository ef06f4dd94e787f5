package io.servo.worker.assets;

import io.servo.core.workflow.Asset;
import io.servo.settings.DurationText;
import io.servo.core.workflow.SqlAsset;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code sql} asset's script against the tenant's part of the warehouse ({@link Warehouse}):
 * its statements in one transaction,
 * committed when all succeed, each bounded by what is left of the asset's timeout. The output
 * lists the rows each statement affected (or returned).
 *
 * <p>A statement's timeout is enforced by the server after the driver's cancel request; when the
 * connection's packets are silently dropped neither the cancel nor any answer arrives. So the
 * connection's network wait ({@link Connection#setNetworkTimeout}) is bounded too, by the
 * statement's timeout plus {@link #NETWORK_MARGIN_MILLIS}, and restored before the connection goes
 * back to the pool.
 */
final class SqlRunner implements AssetRunner {
  private static final int MAX_LISTED_STATEMENTS = 50;
  /**
   * How much longer than a statement's query timeout the driver waits for the network: time for
   * the cancel to reach the server and its error to come back. Past it the connection is given up
   * (the driver closes it; the pool discards it).
   */
  static final int NETWORK_MARGIN_MILLIS = 2_000;
  /** The driver's network timeout uses no executor of its own (PostgreSQL's ignores it). */
  private static final Executor DIRECT = Runnable::run;

  private final Warehouse warehouse;
  private final RunnerInstrumentation instrumentation;

  SqlRunner(Warehouse warehouse) {
    this(warehouse, RunnerInstrumentation.NONE);
  }

  SqlRunner(Warehouse warehouse, RunnerInstrumentation instrumentation) {
    this.warehouse = warehouse;
    this.instrumentation = instrumentation;
  }

  @Override
  public AssetOutcome run(AssetContext context, Asset asset) throws InterruptedException {
    SqlAsset sql = (SqlAsset) asset;
    List<String> statements = SqlScript.split(sql.sql());
    if (statements.isEmpty()) {
      return AssetOutcome.succeeded("no statements");
    }
    long deadline = System.nanoTime() + sql.timeout().toNanos();
    List<String> counts = new ArrayList<>();
    try (Connection connection = warehouse.connection(context)) {
      NetworkWait network = NetworkWait.of(connection);
      connection.setAutoCommit(false);
      int index = 0;
      long statementStart = 0;
      try {
        for (String statement : statements) {
          index++;
          statementStart = System.nanoTime();
          long remaining = deadline - System.nanoTime();
          if (remaining <= 0) {
            rollback(connection);
            return timedOut(sql, index, counts);
          }
          int queryTimeoutSeconds = queryTimeoutSeconds(remaining);
          network.bound(queryTimeoutSeconds * 1000L + NETWORK_MARGIN_MILLIS);
          counts.add(execute(connection, statement, queryTimeoutSeconds));
          if (Thread.interrupted()) {
            rollback(connection);
            throw new InterruptedException("worker shutting down");
          }
        }
        // The commit (and a rollback) waits at most what is left, plus the margin.
        network.bound(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) + NETWORK_MARGIN_MILLIS);
        connection.commit();
      } catch (SQLException e) {
        rollback(connection);
        // SQLite reports an interrupted (timed-out) statement as a plain error: trust the clock.
        if (e instanceof SQLTimeoutException || System.nanoTime() - deadline >= 0) {
          return timedOut(sql, index, counts);
        }
        // Databases quote values in their errors ("invalid input syntax for type integer: "…"");
        // the statement's own literals are the ones that may be secrets.
        String reason = ResolvedValueMask.of(SqlScript.literals(statements.get(index - 1))).redact(e.getMessage());
        if (index > 0) {
          instrumentation.statementFailed(connection, statements.get(index - 1), statementStart, reason, e);
        }
        return AssetOutcome.failed(
            "statement " + index + " of " + statements.size() + " failed: " + reason
                + " (the transaction was rolled back)",
            summary(counts));
      } finally {
        network.restore();
      }
    } catch (Warehouse.RefusedException e) {
      return AssetOutcome.failed(e.getMessage());
    } catch (SQLException e) {
      return AssetOutcome.failed("could not use the warehouse (" + Warehouse.source(context) + "): " + e.getMessage());
    }
    return AssetOutcome.succeeded(summary(counts));
  }

  /** {@code remainingNanos} rounded up to whole seconds, at least 1. */
  private static int queryTimeoutSeconds(long remainingNanos) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE,
        TimeUnit.NANOSECONDS.toSeconds(remainingNanos + 999_999_999L)));
  }

  private static String execute(Connection connection, String sql, int queryTimeoutSeconds)
      throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.setQueryTimeout(queryTimeoutSeconds);
      if (statement.execute(sql)) {
        long rows = 0;
        try (ResultSet rs = statement.getResultSet()) {
          while (rs.next()) {
            rows++;
          }
        }
        return rows + (rows == 1 ? " row" : " rows") + " returned";
      }
      int updated = statement.getUpdateCount();
      return updated < 0 || !SqlScript.countsRows(sql) ? "done"
          : updated + (updated == 1 ? " row" : " rows") + " affected";
    }
  }

  private static AssetOutcome timedOut(SqlAsset sql, int index, List<String> counts) {
    return AssetOutcome.timedOut(
        "timed out after " + DurationText.format(sql.timeout()) + " in statement " + index
            + " (the transaction was rolled back)",
        summary(counts));
  }

  private static String summary(List<String> counts) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < counts.size() && i < MAX_LISTED_STATEMENTS; i++) {
      s.append(i == 0 ? "" : "; ").append("statement ").append(i + 1).append(": ").append(counts.get(i));
    }
    if (counts.size() > MAX_LISTED_STATEMENTS) {
      s.append("; … ").append(counts.size() - MAX_LISTED_STATEMENTS).append(" more");
    }
    return s.toString();
  }

  private static void rollback(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      // The connection is broken; the pool discards it and the transaction is gone with it.
    }
  }

  /**
   * The connection's network timeout: bounded while the asset runs, put back as it was before the
   * connection returns to the pool. Drivers without one (SQLite, which has no network) are left
   * alone.
   */
  private static final class NetworkWait {
    private final Connection connection;
    private final int original;
    private boolean changed;

    private NetworkWait(Connection connection, int original) {
      this.connection = connection;
      this.original = original;
    }

    static NetworkWait of(Connection connection) throws SQLException {
      try {
        return new NetworkWait(connection, connection.getNetworkTimeout());
      } catch (SQLFeatureNotSupportedException e) {
        return new NetworkWait(null, 0);
      }
    }

    void bound(long millis) throws SQLException {
      if (connection == null) {
        return;
      }
      int bounded = (int) Math.min(Integer.MAX_VALUE, millis);
      // Never longer than a network timeout the connection already had (socketTimeout in the URL).
      connection.setNetworkTimeout(DIRECT, original > 0 ? Math.min(original, bounded) : bounded);
      changed = true;
    }

    void restore() {
      if (!changed) {
        return;
      }
      try {
        connection.setNetworkTimeout(DIRECT, original);
      } catch (SQLException e) {
        // The connection is broken (the network wait ran out); the pool discards it.
      }
    }
  }
}
