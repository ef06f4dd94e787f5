package io.servo.telemetry.jdbc;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.servo.telemetry.keep.TraceSkeleton;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Database spans for any JDBC DataSource: one CLIENT span per statement execution (and per batch),
 * in the stable database semantic conventions ({@code db.system.name}, {@code db.namespace}, {@code
 * db.query.text} without literals or comments, {@code db.query.summary}, …; see {@link
 * StatementSpans}), with no query parameters captured, and only inside a sampled trace: a
 * connection taken while no sampled span is current is the plain one, so polling loops never start
 * root traces.
 *
 * <p>Servo makes the spans itself rather than with the OpenTelemetry JDBC library instrumentation
 * ({@code JdbcTelemetry}). Measured behind the same gate in servo-bench's {@code
 * JdbcStatementBenchmark}, sampled, the library allocated about 2.3 times as much per operation for
 * its spans, and in its stable mode it leaves a prepared statement's literals in {@code
 * db.query.text} and sets neither {@code db.operation.name} nor {@code db.collection.name} beside a
 * summary. Span redaction strips literals from {@code db.query.text} again at export.
 */
public final class JdbcTracing {
  private static final String INSTRUMENTATION_NAME = "io.servo.telemetry.jdbc";

  private JdbcTracing() {}

  /**
   * Wraps {@code dataSource}. A connection taken while a sampled span is current ({@code
   * Span.current().getSpanContext().isSampled()} at {@code getConnection()} time) makes spans; any
   * other is the plain connection of the same data source. With a no-op OpenTelemetry nothing is
   * ever sampled, so the wrapper costs one check per connection.
   */
  public static DataSource wrapDataSource(OpenTelemetry openTelemetry, DataSource dataSource) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    Objects.requireNonNull(dataSource, "dataSource");
    return new InTraceDataSource(dataSource, new StatementSpans(openTelemetry.getTracer(INSTRUMENTATION_NAME)));
  }

  /**
   * A statement that failed in an unsampled trace whose skeleton is noted for retroactive keep (see
   * {@link TraceSkeleton}), told by the code that ran it rather than seen through a wrapped
   * connection: wrapping every connection of every unsampled execution in case one statement fails
   * cost about 2 KB per execution (servo bench --warmup-curve). Its name and attributes are those of
   * the statement's span in a sampled trace, worked out only if the trace is kept.
   *
   * @param jdbcUrl the connection's URL, for {@code db.system.name}, {@code db.namespace} and the server
   * @param message the error as it may be shown (the caller masks what the statement quoted)
   */
  public static TraceSkeleton.Detail failedStatement(String jdbcUrl, String sql, String message, Throwable error) {
    Objects.requireNonNull(sql, "sql");
    Objects.requireNonNull(error, "error");
    return new FailedStatement(jdbcUrl, sql, new StatementFailure(error.getClass().getName(),
        message == null ? String.valueOf(error.getMessage()) : message));
  }

  private record FailedStatement(String jdbcUrl, String sql, StatementFailure failure)
      implements TraceSkeleton.Detail {
    private StatementSpans.Shape shape() {
      StatementSpans spans = new StatementSpans(OpenTelemetry.noop().getTracer(INSTRUMENTATION_NAME));
      return spans.shape(StatementSpans.Database.fromUrl(jdbcUrl == null ? "jdbc:unknown:" : jdbcUrl), sql);
    }

    @Override
    public String name() {
      return shape().name();
    }

    @Override
    public Attributes attributes() {
      return shape().attributes();
    }

    @Override
    public StatusData status() {
      return failure.status(true);
    }

    @Override
    public List<EventData> events(long endEpochNanos) {
      return failure.events(endEpochNanos);
    }
  }
}
