package io.servo.telemetry.redaction;

import java.util.regex.Pattern;

/**
 * Replaces literal values in SQL text by {@code ?} and drops comments. It makes the {@code
 * db.query.text} of Servo's database spans and is the redaction's second pass over query text that
 * reaches a span some other way.
 *
 * <p>Hand-written because the instrumentation API's sanitizer ({@code SqlQueryAnalyzer} 2.31.1,
 * which still names the spans) leaks what a hostile tenant's SQL can hide: comments ({@code --
 * secret}, {@code /* secret *&#47;}), the rest of an unterminated string, and the tail of an {@code
 * E'…\'…'} string ({@code SqlTextTest} shows each). PostgreSQL reads a backslash in a string as an
 * escape in {@code E'…'} and, with {@code standard_conforming_strings} off (a session can turn it
 * off), in every string; the text is read both ways and whatever either reading finds to be a
 * literal or a comment is dropped, so neither setting lets a value escape.
 */
public final class SqlText {
  private static final byte KEEP = 0;
  private static final byte COMMENT = 1;
  private static final byte LITERAL = 2;

  // Where database errors quote values: "…" (PostgreSQL's input errors, SQLite's "near" token),
  // Key (col)=(value) and "Failing row contains (…)." details.
  private static final Pattern DOUBLE_QUOTED = Pattern.compile("\"[^\"\n]*\"");
  private static final Pattern KEY_VALUE = Pattern.compile("(\\([^()\n]*\\))=\\([^\n]*?\\)(?= |\\.|$)");
  private static final Pattern FAILING_ROW = Pattern.compile("(?i)(row contains )\\(.*\\)");

  private SqlText() {}

  static boolean isQueryKey(String key) {
    return key.equals("db.statement") || key.equals("db.query.text");
  }

  /** {@code sql} without literals and comments, double-quoted text read as identifiers. */
  static String removeLiterals(String sql) {
    return removeLiterals(sql, false);
  }

  /**
   * {@code sql} with every literal (strings, {@code E'…'}, dollar-quoted strings, numbers) replaced
   * by {@code ?} and every comment dropped; {@code sql} itself when it has neither.
   *
   * @param doubleQuotesAreStrings whether {@code "…"} is a string (SQLite reads an unknown column
   *     name in double quotes as one) rather than an identifier (PostgreSQL)
   */
  public static String removeLiterals(String sql, boolean doubleQuotesAreStrings) {
    if (!mayHoldLiterals(sql)) {
      return sql;
    }
    int n = sql.length();
    byte[] hidden = new byte[n];
    boolean found = mark(sql, hidden, false, doubleQuotesAreStrings);
    found |= mark(sql, hidden, true, doubleQuotesAreStrings);
    if (!found) {
      return sql;
    }
    StringBuilder out = new StringBuilder(n);
    int i = 0;
    while (i < n) {
      if (hidden[i] == KEEP) {
        out.append(sql.charAt(i++));
        continue;
      }
      boolean literal = false;
      while (i < n && hidden[i] != KEEP) {
        literal |= hidden[i] == LITERAL;
        i++;
      }
      if (literal) {
        out.append('?');
      } else if (out.length() > 0 && !Character.isWhitespace(out.charAt(out.length() - 1))
          && i < n && !Character.isWhitespace(sql.charAt(i))) {
        out.append(' '); // a comment between two words keeps them apart
      }
    }
    return out.toString();
  }

  /**
   * Marks the literals and comments of one reading of {@code sql} in {@code hidden} (a literal wins
   * over a comment where the readings disagree); whether it found any.
   */
  private static boolean mark(String sql, byte[] hidden, boolean backslashEscapes, boolean doubleQuotesAreStrings) {
    int n = sql.length();
    boolean found = false;
    int i = 0;
    while (i < n) {
      char c = sql.charAt(i);
      char next = i + 1 < n ? sql.charAt(i + 1) : 0;
      int end;
      byte kind;
      if (c == '\'') {
        end = stringEnd(sql, i + 1, backslashEscapes || isEscapeStringPrefix(sql, i));
        kind = LITERAL;
      } else if (c == '"' || c == '`') {
        int close = sql.indexOf(c, i + 1);
        end = close < 0 ? n : close + 1;
        kind = c == '"' && doubleQuotesAreStrings ? LITERAL : KEEP;
      } else if (c == '$' && (i == 0 || !isIdentifierPart(sql.charAt(i - 1))) && dollarTagEnd(sql, i) > 0) {
        // PostgreSQL's $$…$$ or $tag$…$tag$.
        String tag = sql.substring(i, dollarTagEnd(sql, i));
        int close = sql.indexOf(tag, i + tag.length());
        end = close < 0 ? n : close + tag.length();
        kind = LITERAL;
      } else if (c == '-' && next == '-') {
        int newline = sql.indexOf('\n', i);
        end = newline < 0 ? n : newline;
        kind = COMMENT;
      } else if (c == '/' && next == '*') {
        end = blockCommentEnd(sql, i);
        kind = COMMENT;
      } else if (Character.isDigit(c) && (i == 0 || !isIdentifierPart(sql.charAt(i - 1)))) {
        end = i;
        while (end < n && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '.')) {
          end++;
        }
        kind = LITERAL;
      } else {
        i++;
        continue;
      }
      if (kind != KEEP) {
        found = true;
        for (int k = i; k < end; k++) {
          if (hidden[k] < kind) {
            hidden[k] = kind;
          }
        }
      }
      i = end;
    }
    return found;
  }

  /** The index after the string whose text starts at {@code from}; '' is a quote, as is \' if escaping. */
  private static int stringEnd(String sql, int from, boolean backslashEscapes) {
    int n = sql.length();
    int j = from;
    while (j < n) {
      char c = sql.charAt(j);
      if (backslashEscapes && c == '\\') {
        j += 2;
      } else if (c == '\'') {
        if (j + 1 < n && sql.charAt(j + 1) == '\'') {
          j += 2;
        } else {
          return j + 1;
        }
      } else {
        j++;
      }
    }
    return n;
  }

  /** Whether the quote at {@code quote} opens PostgreSQL's E'…' string. */
  private static boolean isEscapeStringPrefix(String sql, int quote) {
    return quote > 0 && (sql.charAt(quote - 1) == 'E' || sql.charAt(quote - 1) == 'e')
        && (quote == 1 || !isIdentifierPart(sql.charAt(quote - 2)));
  }

  /** The index after the dollar-quote tag starting at {@code start} ($$ or $name$), or -1. */
  private static int dollarTagEnd(String sql, int start) {
    int n = sql.length();
    int j = start + 1;
    if (j < n && Character.isDigit(sql.charAt(j))) {
      return -1; // $1: a parameter
    }
    while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
      j++;
    }
    return j < n && sql.charAt(j) == '$' ? j + 1 : -1;
  }

  /** The index after the block comment at {@code start}; PostgreSQL's comments nest. */
  private static int blockCommentEnd(String sql, int start) {
    int n = sql.length();
    int depth = 0;
    int j = start;
    while (j < n) {
      if (sql.startsWith("/*", j)) {
        depth++;
        j += 2;
      } else if (sql.startsWith("*/", j)) {
        depth--;
        j += 2;
        if (depth == 0) {
          return j;
        }
      } else {
        j++;
      }
    }
    return n;
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

  private static boolean mayHoldLiterals(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"' || c == '$' || c == '-' || c == '/' || Character.isDigit(c)) {
        return true;
      }
    }
    return false;
  }
}
