package io.servo.telemetry.jdbc;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.incubator.semconv.db.SqlDialect;
import io.opentelemetry.instrumentation.api.incubator.semconv.db.SqlQuery;
import io.opentelemetry.instrumentation.api.incubator.semconv.db.SqlQueryAnalyzer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CLIENT spans of one data source's statements, in the database conventions the OpenTelemetry
 * JDBC library instrumentation emits by default (the old ones): the span is named {@code
 * <operation> <db.name>.<table>} ({@code INSERT test.people}) and carries {@code db.system}, {@code
 * db.name}, {@code db.connection_string}, {@code server.address}, {@code server.port}, {@code
 * db.statement} with every literal replaced by {@code ?}, {@code db.operation} and {@code
 * db.sql.table}. A statement that throws ends its span with status ERROR and the exception.
 *
 * <p>It exists because the library's per-statement machinery (a request object, attribute maps built
 * for every extractor, wrappers of every result set) allocated about 29 KB per execution of the
 * benchmark workflow. Here the attributes of a SQL text are worked out once and reused: a prepared
 * statement's when it is prepared, a plain statement's from a bounded cache of recent texts. The
 * SQL is analysed by the instrumentation API's own {@link SqlQueryAnalyzer}, so names, operations
 * and sanitized text are the library's.
 */
final class StatementSpans {
  private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");
  private static final AttributeKey<String> DB_NAME = AttributeKey.stringKey("db.name");
  private static final AttributeKey<String> DB_CONNECTION_STRING = AttributeKey.stringKey("db.connection_string");
  private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  private static final AttributeKey<String> DB_STATEMENT = AttributeKey.stringKey("db.statement");
  private static final AttributeKey<String> DB_OPERATION = AttributeKey.stringKey("db.operation");
  private static final AttributeKey<String> DB_SQL_TABLE = AttributeKey.stringKey("db.sql.table");
  /** Plain statements' texts remembered at most; texts beyond it are analysed at each execution. */
  static final int MAX_REMEMBERED_TEXTS = 1024;
  /** Longer texts (generated INSERTs of many rows) are analysed each time instead of kept. */
  private static final int MAX_REMEMBERED_LENGTH = 8192;

  private final Tracer tracer;
  private final SqlQueryAnalyzer analyzer = SqlQueryAnalyzer.create(true);
  private final ConcurrentHashMap<String, Shape> shapes = new ConcurrentHashMap<>();
  private volatile Database database;

  StatementSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  /** What every span of one SQL text (or one batch of texts) carries. */
  record Shape(String name, Attributes attributes) {}

  /**
   * The database behind this data source, read once from the first traced connection's URL: a data
   * source (a pool) has a single URL.
   */
  Database database(Connection connection) throws SQLException {
    Database known = database;
    if (known == null) {
      known = Database.fromUrl(connection.getMetaData().getURL());
      database = known;
    }
    return known;
  }

  /** The shape of {@code sql}, remembered when short and while fewer than the bound are. */
  Shape shape(Database db, String sql) {
    Shape known = shapes.get(sql);
    if (known != null) {
      return known;
    }
    Shape shape = analyse(db, sql);
    if (sql.length() <= MAX_REMEMBERED_LENGTH && shapes.size() < MAX_REMEMBERED_TEXTS) {
      shapes.putIfAbsent(sql, shape);
    }
    return shape;
  }

  /** A batch's shape: its text's when all its statements are one text, else the database's alone. */
  private Shape shape(Database db, Collection<String> batch) {
    String first = null;
    for (String sql : batch) {
      if (first == null) {
        first = sql;
      } else if (!first.equals(sql)) {
        first = null;
        break;
      }
    }
    return first == null ? new Shape(spanName(db, null, null), db.attributes()) : shape(db, first);
  }

  private Shape analyse(Database db, String sql) {
    SqlQuery query = analyzer.analyze(sql, db.dialect());
    String operation = query.getOperationName();
    String table = query.getCollectionName();
    AttributesBuilder attributes = db.attributes().toBuilder().put(DB_STATEMENT, query.getQueryText());
    if (operation != null) {
      attributes.put(DB_OPERATION, operation);
    }
    if (table != null) {
      attributes.put(DB_SQL_TABLE, table);
    }
    return new Shape(spanName(db, operation, table), attributes.build());
  }

  /** {@code <operation> <db.name>.<table>}, leaving out what is unknown; "DB Query" when all is. */
  private static String spanName(Database db, String operation, String table) {
    String target = db.name() == null ? table : table == null ? db.name() : db.name() + "." + table;
    return operation == null ? (target == null ? "DB Query" : target)
        : target == null ? operation : operation + " " + target;
  }

  /** Whether statements run now make spans: the current span is sampled. */
  static boolean inSampledTrace() {
    return Span.current().getSpanContext().isSampled();
  }

  /**
   * Starts the span of one execution of a prepared statement, or returns null when the current
   * span is not sampled: a connection handed out inside a trace may be used outside it, and spans
   * there would be roots.
   */
  Span start(Shape shape) {
    return inSampledTrace() ? start(Context.current(), shape) : null;
  }

  /** Like {@link #start(Shape)} for a plain statement's text, which is analysed only if needed. */
  Span start(Database db, String sql) {
    return inSampledTrace() ? start(Context.current(), shape(db, sql)) : null;
  }

  /** Like {@link #start(Shape)} for a batch of texts. */
  Span start(Database db, Collection<String> batch) {
    return inSampledTrace() ? start(Context.current(), shape(db, batch)) : null;
  }

  private Span start(Context parent, Shape shape) {
    return tracer.spanBuilder(shape.name()).setSpanKind(SpanKind.CLIENT).setParent(parent)
        .setAllAttributes(shape.attributes()).startSpan();
  }

  /** Marks {@code span} failed with {@code error}, and returns the error to be rethrown. */
  static <T extends Throwable> T failed(Span span, T error) {
    if (span != null) {
      span.setStatus(StatusCode.ERROR);
      span.recordException(error);
    }
    return error;
  }

  static void end(Span span) {
    if (span != null) {
      span.end();
    }
  }

  /** The database a JDBC URL names, as the attributes every one of its spans carries. */
  record Database(String system, String name, SqlDialect dialect, Attributes attributes) {

    /**
     * Reads {@code jdbc:postgresql://host[:port]/database?…}, {@code jdbc:postgresql:database},
     * {@code jdbc:sqlite:path?…} and, of any other {@code jdbc:system:…}, the system alone.
     */
    static Database fromUrl(String url) {
      String rest = url == null ? "" : url.startsWith("jdbc:") ? url.substring(5) : url;
      int colon = rest.indexOf(':');
      String system = colon < 0 ? rest : rest.substring(0, colon);
      String remainder = colon < 0 ? "" : rest.substring(colon + 1);
      int query = remainder.indexOf('?');
      if (query >= 0) {
        remainder = remainder.substring(0, query);
      }
      AttributesBuilder attributes = Attributes.builder();
      if (!system.isEmpty()) {
        attributes.put(DB_SYSTEM, system);
      }
      String name = null;
      if (system.equals("postgresql")) {
        String host = "localhost";
        long port = 5432;
        String path = remainder;
        if (remainder.startsWith("//")) {
          int slash = remainder.indexOf('/', 2);
          String authority = slash < 0 ? remainder.substring(2) : remainder.substring(2, slash);
          path = slash < 0 ? "" : remainder.substring(slash + 1);
          int comma = authority.indexOf(',');
          if (comma >= 0) {
            authority = authority.substring(0, comma);
          }
          int portColon = authority.lastIndexOf(':');
          if (portColon > authority.lastIndexOf(']')) {
            port = parsePort(authority.substring(portColon + 1), port);
            authority = authority.substring(0, portColon);
          }
          if (!authority.isEmpty()) {
            host = authority;
          }
        }
        name = path.isEmpty() ? null : path;
        attributes.put(DB_CONNECTION_STRING, "postgresql://" + host + ":" + port)
            .put(SERVER_ADDRESS, host).put(SERVER_PORT, port);
      } else if (system.equals("sqlite")) {
        String file = remainder.startsWith("file:") ? remainder.substring(5) : remainder;
        String last = file.substring(file.lastIndexOf('/') + 1);
        name = last.isEmpty() ? null : last;
        attributes.put(DB_CONNECTION_STRING, "sqlite:file:");
      }
      if (name != null) {
        attributes.put(DB_NAME, name);
      }
      SqlDialect dialect = system.equals("postgresql")
          ? SqlDialect.DOUBLE_QUOTES_ARE_IDENTIFIERS : SqlDialect.DOUBLE_QUOTES_ARE_STRING_LITERALS;
      return new Database(system, name, dialect, attributes.build());
    }

    private static long parsePort(String text, long otherwise) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        return otherwise;
      }
    }
  }
}
