package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlScriptTest {
  @Test
  void splitsOnSemicolonsOutsideQuotesAndComments() {
    String script = """
        -- a comment; not a statement
        CREATE TABLE t (a TEXT, "odd;name" TEXT);
        INSERT INTO t VALUES ('x;y', 'it''s; fine'); /* block; comment */
        SELECT * FROM t
        """;
    assertThat(SqlScript.split(script)).containsExactly(
        "-- a comment; not a statement\nCREATE TABLE t (a TEXT, \"odd;name\" TEXT)",
        "INSERT INTO t VALUES ('x;y', 'it''s; fine')",
        "/* block; comment */\nSELECT * FROM t");
  }

  @Test
  void keepsDollarQuotedBodiesWhole() {
    String script = "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;"
        + " SELECT $$a;b$$; SELECT $1";
    assertThat(SqlScript.split(script)).containsExactly(
        "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql",
        "SELECT $$a;b$$",
        "SELECT $1");
  }

  @Test
  void dropsEmptyAndCommentOnlyStatements() {
    assertThat(SqlScript.split(";; -- nothing\n ; /* x */")).isEmpty();
  }

  @Test
  void literalsAreTheValuesADatabaseMayQuoteBackEscapeStringsAlsoAsRead() {
    assertThat(SqlScript.literals("SELECT 'it''s', $$body$$, \"ident\" FROM t")).containsExactly("it's", "body");
    assertThat(SqlScript.literals("SELECT E'hunter2\\x2dSECRET'::int")).contains("hunter2-SECRET");
    assertThat(SqlScript.literals("SELECT e'a\\055b\\u0063\\'d\\\\'")).contains("a-bc'd\\");
    assertThat(SqlScript.literals("SELECT type'x'")).containsExactly("x");
  }

  @Test
  void anEscapeThatIsNoCodePointIsKeptAsWrittenNotAFailure() {
    // A tenant's statement PostgreSQL refuses ("invalid Unicode escape value"); its error is masked
    // with these literals, which used to throw NumberFormatException and IllegalArgumentException.
    assertThat(SqlScript.literals("SELECT E'a\\UFFFFFFFFb'")).contains("a\\UFFFFFFFFb");
    assertThat(SqlScript.literals("SELECT E'\\U00110000'")).contains("\\U00110000");
    assertThat(SqlScript.literals("SELECT E'\\U0010FFFF'")).contains(new String(Character.toChars(0x10FFFF)));
  }
}
