package io.servo.telemetry.redaction;

import java.util.regex.Pattern;

/**
 * Replaces literal values in SQL text by {@code ?}. The JDBC instrumentation already does this; this
 * is the second line of defence for query text that reaches a span some other way (or with the
 * instrumentation's stable database semconv mode, which leaves PreparedStatement text as is).
 */
final class SqlText {
  // Where database errors quote values: "…" (PostgreSQL's input errors, SQLite's "near" token),
  // Key (col)=(value) and "Failing row contains (…)." details.
  private static final Pattern DOUBLE_QUOTED = Pattern.compile("\"[^\"\n]*\"");
  private static final Pattern KEY_VALUE = Pattern.compile("(\\([^()\n]*\\))=\\([^\n]*?\\)(?= |\\.|$)");
  private static final Pattern FAILING_ROW = Pattern.compile("(?i)(row contains )\\(.*\\)");

  private SqlText() {}

  static boolean isQueryKey(String key) {
    return key.equals("db.statement") || key.equals("db.query.text");
  }

  static String removeLiterals(String sql) {
    if (sql.indexOf('\'') < 0 && !containsDigit(sql) && sql.indexOf('$') < 0) {
      return sql;
    }
    StringBuilder out = new StringBuilder(sql.length());
    boolean changed = false;
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\'') {
        // A string literal; '' inside it is an escaped quote.
        int j = i + 1;
        while (j < n) {
          if (sql.charAt(j) == '\'') {
            if (j + 1 < n && sql.charAt(j + 1) == '\'') {
              j += 2;
              continue;
            }
            break;
          }
          j++;
        }
        out.append('?');
        changed = true;
        i = Math.min(j + 1, n);
      } else if (c == '"' || c == '`') {
        // A quoted identifier: copy it unchanged so digits inside it survive.
        int j = sql.indexOf(c, i + 1);
        int end = j < 0 ? n : j + 1;
        out.append(sql, i, end);
        i = end;
      } else if (c == '$' && i + 1 < n && sql.charAt(i + 1) == '$') {
        // PostgreSQL dollar-quoted literal $$...$$.
        int j = sql.indexOf("$$", i + 2);
        out.append('?');
        changed = true;
        i = j < 0 ? n : j + 2;
      } else if (Character.isDigit(c) && (i == 0 || !isIdentifierPart(sql.charAt(i - 1)))) {
        int j = i;
        while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '.')) {
          j++;
        }
        out.append('?');
        changed = true;
        i = j;
      } else {
        out.append(c);
        i++;
      }
    }
    return changed ? out.toString() : sql;
  }

  /**
   * A database's error message with the values it quotes replaced by {@code ?}: the JDBC
   * instrumentation sanitizes a statement's text, but records the driver's exception as it is.
   * Quoted identifiers (a constraint's name) go too: the message cannot tell them apart.
   */
  static String removeErrorValues(String message) {
    if (message == null || (message.indexOf('"') < 0 && message.indexOf('(') < 0)) {
      return message;
    }
    String s = DOUBLE_QUOTED.matcher(message).replaceAll("\"?\"");
    s = KEY_VALUE.matcher(s).replaceAll("$1=(?)");
    s = FAILING_ROW.matcher(s).replaceAll("$1(?)");
    return s.equals(message) ? message : s;
  }

  private static boolean isIdentifierPart(char c) {
    // '$' covers positional placeholders such as $1.
    return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '.';
  }

  private static boolean containsDigit(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isDigit(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }
}
