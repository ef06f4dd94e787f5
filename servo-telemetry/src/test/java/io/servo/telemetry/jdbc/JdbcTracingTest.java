package io.servo.telemetry.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteDataSource;

class JdbcTracingTest {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private OpenTelemetrySdk sdk;
  private Tracer tracer;
  private SQLiteDataSource sqlite;
  private DataSource dataSource;

  @BeforeEach
  void setUp() {
    sdk = sdk(Sampler.alwaysOn());
    tracer = sdk.getTracer("test");
    sqlite = new SQLiteDataSource();
    sqlite.setUrl("jdbc:sqlite::memory:");
    dataSource = JdbcTracing.wrapDataSource(sdk, sqlite);
  }

  @AfterEach
  void tearDown() {
    sdk.close();
  }

  @Test
  void preparedStatementLiteralsNeverReachTheSpan() throws Exception {
    Span operation = tracer.spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent(); Connection connection = dataSource.getConnection()) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE people (name TEXT)");
      }
      try (PreparedStatement query = connection.prepareStatement(
          "SELECT name FROM people WHERE name = 'secret-literal' -- secret-comment");
          ResultSet rows = query.executeQuery()) {
        assertThat(rows.next()).isFalse();
      }
    } finally {
      operation.end();
    }

    List<String> queries = spans.getFinishedSpanItems().stream()
        .map(JdbcTracingTest::queryText)
        .filter(q -> q != null && q.startsWith("SELECT"))
        .collect(Collectors.toList());
    assertThat(queries).containsExactly("SELECT name FROM people WHERE name = ? ");
    assertThat(spans.getFinishedSpanItems().toString()).doesNotContain("secret-");
  }

  @Test
  void aHostileStatementsLiteralsReachNeitherTheSpanNameNorItsSummary() throws Exception {
    Span operation = tracer.spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent(); Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      for (String sql : List.of("SELECT E'x\\' FROM secret_e' FROM t",
          "SELECT * FROM t WHERE a = 'x FROM secret_unterminated",
          "SELECT * FROM t /* secret_comment */ WHERE a = $q$secret_dollar$q$")) {
        assertThatThrownBy(() -> statement.execute(sql)).isInstanceOf(java.sql.SQLException.class);
      }
    } finally {
      operation.end();
    }

    List<SpanData> statements = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getKind() == SpanKind.CLIENT).collect(Collectors.toList());
    assertThat(statements).hasSize(3).allSatisfy(s -> {
      assertThat(s.getName()).isEqualTo("SELECT t");
      assertThat(s.getAttributes().get(AttributeKey.stringKey("db.query.summary"))).isEqualTo("SELECT t");
      assertThat(queryText(s)).doesNotContain("secret");
    });
  }

  @Test
  void statementsInsideATraceAreChildrenOfTheCurrentSpan() throws Exception {
    Span operation = tracer.spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent()) {
      execute("SELECT 1");
    } finally {
      operation.end();
    }

    SpanData select = spans.getFinishedSpanItems().stream()
        .filter(s -> queryText(s) != null && queryText(s).startsWith("SELECT")).findFirst().orElseThrow();
    assertThat(select.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(select.getParentSpanId()).isEqualTo(operation.getSpanContext().getSpanId());
    assertThat(select.getTraceId()).isEqualTo(operation.getSpanContext().getTraceId());
  }

  @Test
  void statementsOutsideATraceMakeNoSpans() throws Exception {
    for (int i = 0; i < 5; i++) {
      execute("SELECT 1"); // like a polling loop
    }

    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void aConnectionTakenOutsideATraceMakesNoSpansEvenInsideOne() throws Exception {
    Span operation = tracer.spanBuilder("operation").startSpan();
    try (Connection outside = dataSource.getConnection(); Scope ignored = operation.makeCurrent();
        Statement statement = outside.createStatement()) {
      statement.execute("SELECT 1");
    } finally {
      operation.end();
    }

    assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("operation");
  }

  /** Before: the library's spans here were roots of traces of their own, each one sampled alone. */
  @Test
  void aConnectionTakenInsideATraceMakesNoSpansOnceTheTraceIsOver() throws Exception {
    Connection inside;
    Span operation = tracer.spanBuilder("operation").startSpan();
    try (Scope ignored = operation.makeCurrent()) {
      inside = dataSource.getConnection();
    } finally {
      operation.end();
    }
    try (inside; Statement statement = inside.createStatement()) {
      statement.execute("SELECT 1");
    }

    assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("operation");
  }

  @Test
  void anUnsampledTraceExportsNoStatementSpans() throws Exception {
    sdk.close();
    sdk = sdk(Sampler.alwaysOff());
    dataSource = JdbcTracing.wrapDataSource(sdk, sqlite);
    Span operation = sdk.getTracer("test").spanBuilder("operation").startSpan();
    assertThat(operation.getSpanContext().isValid()).isTrue();
    try (Scope ignored = operation.makeCurrent()) {
      execute("SELECT 1");
    } finally {
      operation.end();
    }

    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void unwrapReachesTheUnderlyingDataSource() throws Exception {
    assertThat(dataSource.isWrapperFor(SQLiteDataSource.class)).isTrue();
    assertThat(dataSource.unwrap(SQLiteDataSource.class)).isSameAs(sqlite);
  }

  private void execute(String sql) throws Exception {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      assertThat(rows.next()).isTrue();
    }
  }

  private OpenTelemetrySdk sdk(Sampler sampler) {
    spans.reset();
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setSampler(sampler)
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
  }

  private static String queryText(SpanData span) {
    return span.getAttributes().get(AttributeKey.stringKey("db.query.text"));
  }
}
