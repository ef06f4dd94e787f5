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
   * The values of a statement's string literals ({@code '…'}, a doubled quote read as one) and
   * dollar-quoted bodies, non-empty ones only: what a database's error message may quote back.
   */
  static List<String> literals(String statement) {
    List<String> values = new ArrayList<>();
    int i = 0;
    int n = statement.length();
    while (i < n) {
      char c = statement.charAt(i);
      if (c == '\'' || c == '"' || c == '`') {
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
