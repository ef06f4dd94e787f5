package io.servo.telemetry.jdbc;

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
import io.opentelemetry.semconv.DbAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.telemetry.redaction.SqlText;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CLIENT spans of one data source's statements, in the stable database semantic conventions:
 * {@code db.system.name}, {@code db.namespace}, {@code server.address} and {@code server.port} (from
 * the connection's URL), and per SQL text {@code db.query.text} with every literal replaced by
 * {@code ?}, {@code db.query.summary}, {@code db.operation.name} and {@code db.collection.name}. The
 * span is named by the summary ({@code UPDATE servo.executions}), else {@code <operation>
 * <target>}, else {@code db.system.name}, as the conventions say. A statement that throws ends its
 * span with status ERROR and the exception.
 *
 * <p>Summaries, operations and tables are the instrumentation API's own {@link SqlQueryAnalyzer}'s;
 * the query text is {@link SqlText}'s, which also drops what that analyser leaves of comments,
 * unterminated and {@code E'…'} strings. Unlike the JDBC library instrumentation in stable mode, a
 * prepared statement's text is sanitized too: literals may sit beside its {@code ?} markers. The
 * attributes of a SQL text are worked out once and reused: a prepared statement's when it is
 * prepared, a plain statement's from a bounded cache of recent texts.
 */
final class StatementSpans {
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
    // The analyser reads the text without literals and comments: given the raw text, it takes words
    // inside an unterminated or E'…\'…' string for table names, and the summary is the span's name.
    String withoutLiterals = SqlText.removeLiterals(sql, false);
    SqlQuery query = analyzer.analyzeWithSummary(withoutLiterals, db.dialect());
    String operation = query.getOperationName();
    String table = query.getCollectionName();
    String summary = query.getQuerySummary();
    AttributesBuilder attributes = db.attributes().toBuilder().put(DbAttributes.DB_QUERY_TEXT,
        db.doubleQuotesAreStrings() ? SqlText.removeLiterals(sql, true) : withoutLiterals);
    if (summary != null) {
      attributes.put(DbAttributes.DB_QUERY_SUMMARY, summary);
    }
    if (operation != null) {
      attributes.put(DbAttributes.DB_OPERATION_NAME, operation);
    }
    if (table != null) {
      attributes.put(DbAttributes.DB_COLLECTION_NAME, table);
    }
    return new Shape(summary != null ? summary : spanName(db, operation, table), attributes.build());
  }

  /**
   * The conventions' name of a span without a query summary: {@code <operation> <target>}, the
   * target being the table, else the database; the target alone without an operation; {@code
   * db.system.name} when neither is known.
   */
  private static String spanName(Database db, String operation, String table) {
    String target = table != null ? table : db.name();
    return operation == null ? (target == null ? db.system() : target)
        : target == null ? operation : operation + " " + target;
  }

  /**
   * Starts the span of one execution of a prepared statement, or returns null when the current
   * span is not sampled: a connection handed out inside a trace may be used outside it, and spans
   * there would be roots. In an unsampled trace whose skeleton is being noted ({@link
   * TraceSkeleton}), a stand-in that notes the statement there instead.
   */
  Span start(Shape shape) {
    Context context = Context.current();
    if (Span.fromContext(context).getSpanContext().isSampled()) {
      return start(context, shape);
    }
    TraceSkeleton skeleton = TraceSkeleton.fromContext(context);
    return skeleton == null ? null : new SkeletonStatement(skeleton, () -> shape);
  }

  /** Like {@link #start(Shape)} for a plain statement's text, which is analysed only if needed. */
  Span start(Database db, String sql) {
    Context context = Context.current();
    if (Span.fromContext(context).getSpanContext().isSampled()) {
      return start(context, shape(db, sql));
    }
    TraceSkeleton skeleton = TraceSkeleton.fromContext(context);
    return skeleton == null ? null : new SkeletonStatement(skeleton, () -> shape(db, sql));
  }

  /** Like {@link #start(Shape)} for a batch of texts. */
  Span start(Database db, Collection<String> batch) {
    Context context = Context.current();
    if (Span.fromContext(context).getSpanContext().isSampled()) {
      return start(context, shape(db, batch));
    }
    TraceSkeleton skeleton = TraceSkeleton.fromContext(context);
    return skeleton == null ? null : new SkeletonStatement(skeleton, () -> shape(db, batch));
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
      // The conventions' names of the two databases Servo runs on; any other is "other_sql".
      String systemName = system.equals("postgresql") || system.equals("sqlite") ? system : "other_sql";
      AttributesBuilder attributes = Attributes.builder().put(DbAttributes.DB_SYSTEM_NAME, systemName);
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
        attributes.put(ServerAttributes.SERVER_ADDRESS, host).put(ServerAttributes.SERVER_PORT, port);
      } else if (system.equals("sqlite")) {
        String file = remainder.startsWith("file:") ? remainder.substring(5) : remainder;
        String last = file.substring(file.lastIndexOf('/') + 1);
        name = last.isEmpty() ? null : last;
      }
      if (name != null) {
        attributes.put(DbAttributes.DB_NAMESPACE, name);
      }
      SqlDialect dialect = system.equals("postgresql")
          ? SqlDialect.DOUBLE_QUOTES_ARE_IDENTIFIERS : SqlDialect.DOUBLE_QUOTES_ARE_STRING_LITERALS;
      return new Database(systemName, name, dialect, attributes.build());
    }

    boolean doubleQuotesAreStrings() {
      return dialect == SqlDialect.DOUBLE_QUOTES_ARE_STRING_LITERALS;
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
