package io.servo.telemetry.jdbc;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Database spans for any JDBC DataSource: one CLIENT span per statement execution (and per batch),
 * with the SQL text sanitized (literals replaced by {@code ?}) and no query parameters captured,
 * and only inside a sampled trace: a connection taken while no sampled span is current is the plain
 * one, so polling loops never start root traces.
 *
 * <p>The spans follow the database conventions the OpenTelemetry JDBC library instrumentation emits
 * by default ({@code db.statement}, {@code db.operation}, {@code db.sql.table}, …; see {@link
 * StatementSpans}), but Servo makes them itself: the library cost about 29 KB of allocation per
 * execution of servo-bench's workflow. The stable database conventions ({@code
 * OTEL_SEMCONV_STABILITY_OPT_IN=database}) are not emitted. Span redaction also strips literals
 * from {@code db.statement} / {@code db.query.text} as a second line of defence.
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
    DataSource library = "library".equals(System.getProperty("servo.bench.jdbc"))
        ? JdbcTelemetry.builder(openTelemetry).setDataSourceInstrumenterEnabled(false)
            .setTransactionInstrumenterEnabled(false).build().wrap(dataSource)
        : null;
    return new InTraceDataSource(dataSource, new StatementSpans(openTelemetry.getTracer(INSTRUMENTATION_NAME)), library);
  }
}
