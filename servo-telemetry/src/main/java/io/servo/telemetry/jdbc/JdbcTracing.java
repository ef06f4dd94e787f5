package io.servo.telemetry.jdbc;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database spans for any JDBC DataSource: one CLIENT span per statement, with the SQL text
 * sanitized (literals replaced by {@code ?}) and no query parameters captured, and only inside a
 * trace: a connection taken while no span is current is the plain one, so polling loops never
 * start root traces.
 *
 * <p>Servo deliberately stays on the instrumentation's default (old) database semantic conventions:
 * in the stable mode ({@code otel.semconv-stability.opt-in=database}) the JDBC instrumentation does
 * not sanitize PreparedStatement text, so a literal written into such a statement would leak. Span
 * redaction also strips literals from {@code db.statement} / {@code db.query.text} as a second line
 * of defence.
 */
public final class JdbcTracing {

  private static final Logger log = LoggerFactory.getLogger(JdbcTracing.class);

  private JdbcTracing() {}

  /**
   * Wraps {@code dataSource}. A connection taken while a span is current (sampled or not, {@code
   * Span.current().getSpanContext().isSampled()} at {@code getConnection()} time) is instrumented;
   * any other is the plain connection of the same data source. With a no-op OpenTelemetry the
   * wrapper costs next to nothing.
   */
  public static DataSource wrapDataSource(OpenTelemetry openTelemetry, DataSource dataSource) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    Objects.requireNonNull(dataSource, "dataSource");
    if (stableDatabaseSemconvRequested()) {
      log.warn("otel.semconv-stability.opt-in / OTEL_SEMCONV_STABILITY_OPT_IN asks for stable"
          + " database conventions, in which PreparedStatement text is not sanitized by the JDBC"
          + " instrumentation; Servo's span redaction still removes literals before export");
    }
    DataSource traced = JdbcTelemetry.builder(openTelemetry)
        .setQuerySanitizationEnabled(true)
        .setCaptureQueryParameters(false)
        .setDataSourceInstrumenterEnabled(false)
        .build()
        .wrap(dataSource);
    return new InTraceDataSource(dataSource, traced);
  }

  private static boolean stableDatabaseSemconvRequested() {
    String property = System.getProperty("otel.semconv-stability.opt-in");
    String env = System.getenv("OTEL_SEMCONV_STABILITY_OPT_IN");
    String value = property != null ? property : env;
    return value != null && value.toLowerCase(Locale.ROOT).contains("database");
  }
}
