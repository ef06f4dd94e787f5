package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.execution.AssetStatus;
import io.servo.core.workflow.SqlAsset;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlRunnerTest {
  @TempDir Path dir;
  private Warehouse warehouse;
  private SqlRunner runner;
  private String url;

  @BeforeEach
  void setUp() {
    url = "jdbc:sqlite:" + dir.resolve("warehouse.db");
    warehouse = new Warehouse(url, null);
    runner = new SqlRunner(warehouse);
  }

  @AfterEach
  void tearDown() {
    warehouse.close();
  }

  @Test
  void runsTheScriptInOneTransactionAndCountsRows() throws Exception {
    var asset = new SqlAsset("orders", List.of(), Duration.ofSeconds(30), """
        CREATE TABLE orders (id INTEGER, note TEXT);
        INSERT INTO orders VALUES (1, 'a;b'), (2, 'c');
        SELECT * FROM orders;
        """);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(outcome.output()).isEqualTo(
        "statement 1: done; statement 2: 2 rows affected; statement 3: 2 rows returned");
  }

  @Test
  void aFailingStatementRollsBackTheWholeScript() throws Exception {
    var asset = new SqlAsset("broken", List.of(), Duration.ofSeconds(30), """
        CREATE TABLE kept_out (id INTEGER);
        INSERT INTO no_such_table VALUES (1);
        """);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).startsWith("statement 2 of 2 failed: ").contains("no_such_table")
        .endsWith("(the transaction was rolled back)");
    // Tenant default's statements ran in its own file next to the shared one.
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("warehouse-default.db"));
         var rs = c.getMetaData().getTables(null, null, "kept_out", null)) {
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void statementsThatChangeNoRowsSayDoneNotAnotherStatementsCount() throws Exception {
    var asset = new SqlAsset("daily", List.of(), Duration.ofSeconds(30), """
        CREATE TABLE raw (id INTEGER);
        INSERT INTO raw VALUES (1), (2), (3), (4);
        DROP TABLE IF EXISTS missing;
        -- a comment first
        CREATE TABLE totals AS SELECT count(*) AS n FROM raw;
        WITH gone AS (SELECT 1) DELETE FROM raw WHERE id > 2;
        """);

    AssetOutcome outcome = runner.run(TestContexts.permissive(), asset);

    assertThat(outcome.output()).isEqualTo("statement 1: done; statement 2: 4 rows affected; statement 3: done;"
        + " statement 4: done; statement 5: 2 rows affected");
  }
}
