package io.servo.telemetry.jdbc;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.servo.telemetry.keep.TraceSkeleton;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Hands out a traced connection only when {@code getConnection()} is called inside a sampled trace,
 * else the plain connection of the same pool. Background work (an outbox polled every 250 ms, a
 * lease sweeper) thus never starts traces of its own, while every statement of a traced operation
 * is still a child of it. Under an unsampled trace statement spans would be exported nowhere, yet a
 * traced connection would still cost wrappers and a lookup per statement (servo-bench's profile of
 * the 1% configuration showed it).
 */
final class InTraceDataSource implements DataSource {
  private final DataSource plain;
  private final StatementSpans spans;

  InTraceDataSource(DataSource plain, StatementSpans spans) {
    this.plain = plain;
    this.spans = spans;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return traces() ? traced(plain.getConnection()) : plain.getConnection();
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return traces() ? traced(plain.getConnection(username, password)) : plain.getConnection(username, password);
  }

  /**
   * A sampled trace, or an unsampled one whose skeleton notes every statement (an orchestrator
   * request's handful). A skeleton that notes only failures is told of them by the code that ran
   * the statement ({@link JdbcTracing#failedStatement}): wrapping for it would cost every execution.
   */
  private boolean traces() {
    Context context = Context.current();
    if (Span.fromContext(context).getSpanContext().isSampled()) {
      return true;
    }
    TraceSkeleton skeleton = TraceSkeleton.fromContext(context);
    return skeleton != null && skeleton.notesEveryStatement();
  }

  private Connection traced(Connection connection) throws SQLException {
    try {
      return new TracedConnection(connection, spans);
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return plain.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    plain.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    plain.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return plain.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return plain.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return iface.isInstance(this) ? iface.cast(this) : plain.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || plain.isWrapperFor(iface);
  }
}
