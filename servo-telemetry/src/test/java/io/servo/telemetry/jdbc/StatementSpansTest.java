package io.servo.telemetry.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.sqlite.SQLiteDataSource;

/**
 * The database spans users see, in the stable database semantic conventions: names (the query
 * summary), kinds, attributes, batches, errors. Names and summaries of single statements are what
 * the OpenTelemetry JDBC library instrumentation 2.31.1 reports in its stable mode for the same
 * statements; unlike it, a prepared statement's literals are stripped and operation and table are
 * set beside the summary.
 */
class StatementSpansTest {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .build();

  @AfterEach
  void close() {
    sdk.close();
  }

  @Test
  void postgresStatementsFollowTheStableDatabaseConventions() throws Exception {
    PGSimpleDataSource postgres = new PGSimpleDataSource();
    postgres.setUrl(PostgresTestDatabase.reachableBaseUrl());

    List<SpanData> statements = runStatements(postgres);

    String db = postgres.getDatabaseName();
    Map<String, Object> common = Map.of("db.namespace", db, "db.system.name", "postgresql",
        "server.address", postgres.getServerNames()[0], "server.port", (long) postgres.getPortNumbers()[0]);
    assertStatements(statements, db, common);
  }

  @Test
  void sqliteStatementsFollowTheStableDatabaseConventions(@TempDir Path dir) throws Exception {
    SQLiteDataSource sqlite = new SQLiteDataSource();
    sqlite.setUrl("jdbc:sqlite:" + dir.resolve("x.db") + "?journal_mode=WAL");

    List<SpanData> statements = runStatements(sqlite);

    assertStatements(statements, "x.db", Map.of("db.namespace", "x.db", "db.system.name", "sqlite"));
  }

  private static void assertStatements(List<SpanData> statements, String db, Map<String, Object> common) {
    assertThat(statements).extracting(SpanData::getName).containsExactly(
        "CREATE TEMP TABLE",
        "INSERT people",
        "SELECT people people",
        "UPDATE people",
        "UPDATE people",
        "SELECT SELECT",
        db,
        "DELETE people");
    assertThat(statements).allSatisfy(s -> {
      assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(s.getAttributes().asMap().keySet()).extracting(AttributeKey::getKey)
          .doesNotContain("db.statement", "db.name", "db.system", "db.operation", "db.sql.table",
              "db.connection_string");
    });
    assertThat(attributes(statements.get(1))).isEqualTo(with(common, "db.operation.name", "INSERT",
        "db.collection.name", "people", "db.query.summary", "INSERT people",
        "db.query.text", "INSERT INTO people VALUES (?, ?)"));
    assertThat(attributes(statements.get(2))).as("a prepared statement's literal").isEqualTo(with(common,
        "db.operation.name", "SELECT", "db.collection.name", "people", "db.query.summary", "SELECT people people",
        "db.query.text", "SELECT name FROM people p JOIN people q USING (name) WHERE name = ? AND p.n > ?"));
    assertThat(attributes(statements.get(4))).as("a prepared batch").isEqualTo(with(common,
        "db.operation.name", "UPDATE", "db.collection.name", "people", "db.query.summary", "UPDATE people",
        "db.query.text", "UPDATE people SET n = ? WHERE name = ?"));
    assertThat(attributes(statements.get(6))).as("a batch of two texts").isEqualTo(new TreeMap<>(common));
    assertThat(attributes(statements.get(7))).as("a batch of one text").isEqualTo(with(common,
        "db.operation.name", "DELETE", "db.collection.name", "people", "db.query.summary", "DELETE people",
        "db.query.text", "DELETE FROM people WHERE n = ?"));
  }

  private List<SpanData> runStatements(DataSource raw) throws Exception {
    DataSource dataSource = JdbcTracing.wrapDataSource(sdk, raw);
    Span operation = sdk.getTracer("test").spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent(); Connection c = dataSource.getConnection()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TEMP TABLE people (name TEXT, n INT)");
        st.executeUpdate("INSERT INTO people VALUES ('bob', 1)");
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name FROM people p JOIN people q USING (name) WHERE name = ? AND p.n > 3")) {
        ps.setString(1, "x");
        ps.executeQuery().close();
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE people SET n = ? WHERE name = 'a'")) {
        ps.setInt(1, 2);
        ps.executeUpdate();
        ps.addBatch();
        ps.executeBatch();
      }
      try (Statement st = c.createStatement()) {
        st.execute("WITH x AS (SELECT 1) SELECT * FROM x");
        st.addBatch("DELETE FROM people");
        st.addBatch("DELETE FROM people WHERE n = 2");
        st.executeBatch();
        st.addBatch("DELETE FROM people WHERE n = 2");
        st.addBatch("DELETE FROM people WHERE n = 2");
        st.executeBatch();
      }
    } finally {
      operation.end();
    }
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData parent = all.get(all.size() - 1);
    assertThat(parent.getName()).isEqualTo("operation");
    assertThat(all.subList(0, all.size() - 1))
        .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(parent.getSpanId()));
    return all.subList(0, all.size() - 1);
  }

  @Test
  void aFailingStatementEndsItsSpanWithTheErrorAndRethrowsIt(@TempDir Path dir) throws Exception {
    SQLiteDataSource sqlite = new SQLiteDataSource();
    sqlite.setUrl("jdbc:sqlite:" + dir.resolve("e.db"));
    DataSource dataSource = JdbcTracing.wrapDataSource(sdk, sqlite);
    Span operation = sdk.getTracer("test").spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent(); Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.executeQuery("SELECT * FROM missing WHERE a = 'secret'"))
          .isInstanceOf(SQLException.class).hasMessageContaining("missing");
    } finally {
      operation.end();
    }

    SpanData failed = spans.getFinishedSpanItems().get(0);
    assertThat(failed.getName()).isEqualTo("SELECT missing");
    assertThat(failed.getAttributes().get(AttributeKey.stringKey("db.query.text")))
        .isEqualTo("SELECT * FROM missing WHERE a = ?");
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getEvents()).singleElement().satisfies(e -> {
      assertThat(e.getName()).isEqualTo("exception");
      assertThat(e.getAttributes().get(AttributeKey.stringKey("exception.type")))
          .isEqualTo("org.sqlite.SQLiteException");
    });
  }

  @Test
  void statementsLeadBackToTheTracedConnectionAndUnwrapToTheDriver(@TempDir Path dir) throws Exception {
    SQLiteDataSource sqlite = new SQLiteDataSource();
    sqlite.setUrl("jdbc:sqlite:" + dir.resolve("w.db"));
    DataSource dataSource = JdbcTracing.wrapDataSource(sdk, sqlite);
    Span operation = sdk.getTracer("test").spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent(); Connection c = dataSource.getConnection();
        Statement st = c.createStatement(); PreparedStatement ps = c.prepareStatement("SELECT 1");
        ResultSet rows = ps.executeQuery()) {
      assertThat(st.getConnection()).isSameAs(c);
      assertThat(ps.getConnection()).isSameAs(c);
      assertThat(c.isWrapperFor(org.sqlite.SQLiteConnection.class)).isTrue();
      assertThat(c.unwrap(org.sqlite.SQLiteConnection.class)).isInstanceOf(org.sqlite.SQLiteConnection.class);
      assertThat(rows.next()).isTrue();
    } finally {
      operation.end();
    }

    assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName)
        .containsExactly("SELECT", "operation");
  }

  private static Map<String, Object> attributes(SpanData span) {
    Map<String, Object> map = new TreeMap<>();
    span.getAttributes().forEach((key, value) -> map.put(key.getKey(), value));
    return map;
  }

  private static Map<String, Object> with(Map<String, Object> common, Object... more) {
    Map<String, Object> map = new TreeMap<>(common);
    for (int i = 0; i < more.length; i += 2) {
      map.put((String) more[i], more[i + 1]);
    }
    return map;
  }

}
