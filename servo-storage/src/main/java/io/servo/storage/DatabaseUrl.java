package io.servo.storage;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated {@code SERVO_DATABASE_URL}. Its {@link #toString()} and {@link #redact(String)} never
 * show a password, whether given as a {@code password=} parameter or as {@code user:pass@}.
 */
final class DatabaseUrl {
  static final String ACCEPTED =
      "SERVO_DATABASE_URL must be jdbc:postgresql://HOST[:PORT]/DATABASE[?user=…] "
          + "or jdbc:sqlite:PATH (a file; parent directories are created)";

  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)([^&;\\s]*)");
  private static final Pattern USER_INFO = Pattern.compile("(//[^/:@\\s]*):([^@/\\s]*)@");

  private final String url;
  private final SqlDialect dialect;
  private final List<String> secrets;

  private DatabaseUrl(String url, SqlDialect dialect, List<String> secrets) {
    this.url = url;
    this.dialect = dialect;
    this.secrets = secrets;
  }

  static DatabaseUrl parse(String url) {
    requireNonNull(url, "jdbcUrl");
    List<String> secrets = new ArrayList<>();
    for (Pattern pattern : List.of(PASSWORD_PARAM, USER_INFO)) {
      Matcher matcher = pattern.matcher(url);
      while (matcher.find()) {
        if (!matcher.group(2).isEmpty()) {
          secrets.add(matcher.group(2));
        }
      }
    }
    String trimmed = url.strip();
    SqlDialect dialect;
    if (trimmed.startsWith("jdbc:postgresql:")) {
      dialect = SqlDialect.POSTGRESQL;
    } else if (trimmed.startsWith("jdbc:sqlite:")) {
      dialect = SqlDialect.SQLITE;
    } else {
      throw new IllegalArgumentException(
          "unsupported database URL " + redact(trimmed, secrets) + ": " + ACCEPTED);
    }
    DatabaseUrl parsed = new DatabaseUrl(trimmed, dialect, List.copyOf(secrets));
    if (dialect == SqlDialect.SQLITE) {
      parsed.sqliteFile(); // fails early on an in-memory URL
    }
    return parsed;
  }

  String url() {
    return url;
  }

  SqlDialect dialect() {
    return dialect;
  }

  /**
   * The file of a {@code jdbc:sqlite:} URL. In-memory databases are refused: every pooled
   * connection would get its own empty database.
   */
  Path sqliteFile() {
    String rest = url.substring("jdbc:sqlite:".length());
    int query = rest.indexOf('?');
    String path = query < 0 ? rest : rest.substring(0, query);
    if (path.isEmpty() || path.contains(":memory:") || rest.contains("mode=memory")) {
      throw new IllegalArgumentException(
          "in-memory SQLite is not supported (each pooled connection would see its own database); "
              + "use a file, e.g. jdbc:sqlite:/tmp/servo.db. "
              + ACCEPTED);
    }
    if (path.startsWith("file:")) {
      return path.startsWith("file://") ? Path.of(URI.create(path)) : Path.of(path.substring(5));
    }
    return Path.of(path);
  }

  /** {@code text} with every password of this URL (and anything shaped like one) masked. */
  String redact(String text) {
    return redact(text, secrets);
  }

  private static String redact(String text, List<String> secrets) {
    if (text == null) {
      return null;
    }
    String result = PASSWORD_PARAM.matcher(text).replaceAll("$1***");
    result = USER_INFO.matcher(result).replaceAll("$1:***@");
    for (String secret : secrets) {
      result = result.replace(secret, "***");
    }
    return result;
  }

  /** True when {@code text} would change under {@link #redact(String)}. */
  boolean leaks(String text) {
    return text != null && !text.equals(redact(text));
  }

  @Override
  public String toString() {
    return redact(url);
  }
}
