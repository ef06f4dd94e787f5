package io.servo.telemetry.jdbc;

import io.opentelemetry.api.OpenTelemetry;
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
    return new InTraceDataSource(dataSource, new StatementSpans(openTelemetry.getTracer(INSTRUMENTATION_NAME)), true);
  }

  /**
   * {@link #wrapDataSource(OpenTelemetry, DataSource)} for Servo's own database. In an unsampled
   * trace whose skeleton is noted for retroactive keep, its statements are noted only where the
   * skeleton notes every statement (an orchestrator request: a handful), never just in case one
   * fails (a worker's dozen writes per execution): a failed write of Servo's own does not end an
   * execution failed, so it cannot be what a kept trace explains, and wrapping every connection for
   * it cost about 2 KB per unsampled execution (servo bench --warmup-curve).
   */
  public static DataSource wrapOwnDataSource(OpenTelemetry openTelemetry, DataSource dataSource) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    Objects.requireNonNull(dataSource, "dataSource");
    return new InTraceDataSource(dataSource, new StatementSpans(openTelemetry.getTracer(INSTRUMENTATION_NAME)), false);
  }
}
