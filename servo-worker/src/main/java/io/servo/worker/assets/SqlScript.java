package io.servo.worker.assets;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a SQL script into statements on {@code ;} outside string literals, quoted identifiers,
 * comments and PostgreSQL dollar-quoted bodies. Statements that hold only comments are dropped.
 * A body with bare semicolons that is not dollar-quoted (SQLite's {@code CREATE TRIGGER … BEGIN …;
 * END}) is not supported: split it into its own asset or use a dollar-quoted body on PostgreSQL.
 */
final class SqlScript {
  private static final Pattern DOLLAR_TAG = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)?\\$");

  private SqlScript() {}

  static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    int start = 0;
    boolean hasCode = false;
    int i = 0;
    int n = script.length();
    while (i < n) {
      char c = script.charAt(i);
      if (c == '\'' || c == '"' || c == '`') {
        i = endOfQuoted(script, i, c);
        hasCode = true;
      } else if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int eol = script.indexOf('\n', i);
        i = eol < 0 ? n : eol + 1;
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (c == '$' && dollarTagAt(script, i) != null) {
        String tag = dollarTagAt(script, i);
        int end = script.indexOf(tag, i + tag.length());
        i = end < 0 ? n : end + tag.length();
        hasCode = true;
      } else if (c == ';') {
        if (hasCode) {
          statements.add(script.substring(start, i).strip());
        }
        start = i + 1;
        hasCode = false;
        i++;
      } else {
        if (!Character.isWhitespace(c)) {
          hasCode = true;
        }
        i++;
      }
    }
    if (hasCode) {
      statements.add(script.substring(start).strip());
    }
    return statements;
  }

  /** Statements whose update count is a number of rows: the others (DDL, SET, …) report "done". */
  private static final Pattern COUNTS_ROWS = Pattern.compile(
      "(?is)^(\\s|--[^\n]*\n?|/\\*.*?\\*/|\\()*(INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|WITH|COPY)\\b.*");

  /**
   * Whether the driver's update count of {@code statement} is a number of rows. SQLite's driver
   * reports the previous DML statement's count for a {@code DROP} or {@code CREATE} (4 rows for a
   * {@code DROP TABLE IF EXISTS} of a missing table), and PostgreSQL's 0 says nothing about them.
   */
  static boolean countsRows(String statement) {
    return COUNTS_ROWS.matcher(statement).matches();
  }

  /**
   * The values of a statement's string literals ({@code '…'}, a doubled quote read as one; an
   * escape string {@code E'…'} both as written and with its backslash escapes read) and
   * dollar-quoted bodies, non-empty ones only: what a database's error message may quote back.
   */
  static List<String> literals(String statement) {
    List<String> values = new ArrayList<>();
    int i = 0;
    int n = statement.length();
    while (i < n) {
      char c = statement.charAt(i);
      if (c == '\'' && isEscapeStringPrefix(statement, i)) {
        i = escapeString(statement, i, values);
      } else if (c == '\'' || c == '"' || c == '`') {
        int end = endOfQuoted(statement, i, c);
        if (c == '\'') {
          String value = statement.substring(i + 1, Math.max(i + 1, end - 1)).replace("''", "'");
          if (!value.isEmpty()) {
            values.add(value);
          }
        }
        i = end;
      } else if (c == '$' && dollarTagAt(statement, i) != null) {
        String tag = dollarTagAt(statement, i);
        int end = statement.indexOf(tag, i + tag.length());
        String value = statement.substring(i + tag.length(), end < 0 ? n : end);
        if (!value.isEmpty()) {
          values.add(value);
        }
        i = end < 0 ? n : end + tag.length();
      } else {
        i++;
      }
    }
    return values;
  }

  /** Whether the quote at {@code quote} opens a PostgreSQL escape string: {@code E'…'}, the E a word of its own. */
  private static boolean isEscapeStringPrefix(String s, int quote) {
    if (quote == 0 || (s.charAt(quote - 1) != 'E' && s.charAt(quote - 1) != 'e')) {
      return false;
    }
    return quote == 1 || !(Character.isLetterOrDigit(s.charAt(quote - 2)) || s.charAt(quote - 2) == '_');
  }

  /**
   * Reads the escape string opening at {@code open} into {@code values}, as written and as the
   * database reads it ({@code \x2d}, {@code \055}, {@code \u002d}, {@code \n}, {@code \'}: its
   * error quotes the value read); returns the index past its closing quote.
   */
  private static int escapeString(String s, int open, List<String> values) {
    StringBuilder read = new StringBuilder();
    int n = s.length();
    int i = open + 1;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < n) {
        char e = s.charAt(i + 1);
        i += 2;
        switch (e) {
          case 'b' -> read.append('\b');
          case 'f' -> read.append('\f');
          case 'n' -> read.append('\n');
          case 'r' -> read.append('\r');
          case 't' -> read.append('\t');
          case 'x', 'u', 'U' -> {
            int max = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            int end = i;
            while (end < n && end - i < max && Character.digit(s.charAt(end), 16) >= 0) {
              end++;
            }
            // Eight hex digits may be no code point (\UFFFFFFFF): the database refuses those, and
            // they are kept as written rather than failing the error's masking.
            long codePoint = end == i ? -1 : Long.parseLong(s, i, end, 16);
            if (codePoint < 0 || codePoint > Character.MAX_CODE_POINT) {
              read.append(e);
            } else {
              read.appendCodePoint((int) codePoint);
              i = end;
            }
          }
          default -> {
            if (e >= '0' && e <= '7') {
              int end = i;
              while (end < n && end - i < 2 && s.charAt(end) >= '0' && s.charAt(end) <= '7') {
                end++;
              }
              read.appendCodePoint(Integer.parseInt(s.substring(i - 1, end), 8));
              i = end;
            } else {
              read.append(e);
            }
          }
        }
      } else if (c == '\'') {
        if (i + 1 < n && s.charAt(i + 1) == '\'') {
          read.append('\'');
          i += 2;
        } else {
          i++;
          break;
        }
      } else {
        read.append(c);
        i++;
      }
    }
    String written = s.substring(open + 1, Math.max(open + 1, i - 1));
    for (String value : new String[] {written, read.toString()}) {
      if (!value.isEmpty() && !values.contains(value)) {
        values.add(value);
      }
    }
    return i;
  }

  /** The index just past the closing quote; a doubled quote inside is an escaped one. */
  private static int endOfQuoted(String s, int open, char quote) {
    int i = open + 1;
    while (i < s.length()) {
      if (s.charAt(i) == quote) {
        if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return s.length();
  }

  private static String dollarTagAt(String s, int i) {
    // A '$' right after an identifier character is part of a name or a parameter ($1), not a quote.
    if (i > 0 && (Character.isLetterOrDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '_')) {
      return null;
    }
    Matcher m = DOLLAR_TAG.matcher(s).region(i, s.length());
    return m.lookingAt() ? m.group() : null;
  }
}
