package io.servo.telemetry.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteDataSource;

class JdbcTracingTest {

  @Test
  void preparedStatementLiteralsNeverReachTheSpan() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    SQLiteDataSource sqlite = new SQLiteDataSource();
    sqlite.setUrl("jdbc:sqlite::memory:");
    DataSource dataSource = JdbcTracing.wrapDataSource(sdk, sqlite);

    try (Connection connection = dataSource.getConnection()) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE people (name TEXT)");
      }
      try (PreparedStatement query = connection.prepareStatement(
          "SELECT name FROM people WHERE name = 'secret-literal'");
          ResultSet rows = query.executeQuery()) {
        assertThat(rows.next()).isFalse();
      }
    }

    List<String> queries = spans.getFinishedSpanItems().stream()
        .map(JdbcTracingTest::queryText)
        .filter(q -> q != null && q.startsWith("SELECT"))
        .collect(Collectors.toList());
    assertThat(queries).containsExactly("SELECT name FROM people WHERE name = ?");
    assertThat(spans.getFinishedSpanItems().toString()).doesNotContain("secret-literal");
    sdk.close();
  }

  private static String queryText(SpanData span) {
    String old = span.getAttributes().get(AttributeKey.stringKey("db.statement"));
    return old != null ? old : span.getAttributes().get(AttributeKey.stringKey("db.query.text"));
  }
}
