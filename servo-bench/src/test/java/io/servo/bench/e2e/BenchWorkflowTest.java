package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.workflow.Asset;
import io.servo.core.workflow.SqlAsset;
import io.servo.core.workflow.Workflow;
import io.servo.core.workflow.WorkflowLoader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BenchWorkflowTest {

  @Test
  void theFailingWorkflowDoesAllTheWorkOfTheOtherThenDividesByZero() {
    Workflow succeeding = WorkflowLoader.parse(BenchWorkflow.yaml("http://127.0.0.1:9/hook"));
    Workflow failing = WorkflowLoader.parse(BenchWorkflow.failingYaml("http://127.0.0.1:9/hook"));

    assertThat(succeeding.name()).isEqualTo(EndToEndBenchmark.WORKFLOW);
    assertThat(failing.name()).isEqualTo(EndToEndBenchmark.FAILING_WORKFLOW);
    List<Asset> assets = failing.assets();
    assertThat(assets.subList(0, assets.size() - 1)).isEqualTo(succeeding.assets());
    assertThat(assets.get(assets.size() - 1)).isEqualTo(new SqlAsset("check", List.of("notify"),
        ((SqlAsset) assets.get(assets.size() - 1)).timeout(), "SELECT 1/0"));
  }

  /**
   * The benchmark stops a child between its slices for seconds at a time; an execution must do the
   * same database work whether the previous one ran a millisecond or an hour ago, or PostgreSQL's CPU
   * per execution (the yardstick of the overheads) depends on the order of the slices. Ran against the
   * benchmark's PostgreSQL server: the workflow's SQL, asset by asset, executions apart by an hour
   * (the rows' times moved back) read the same rows as executions back to back.
   */
  @Test
  void anExecutionReadsTheSameRowsWhateverTheTimeSinceThePreviousOne() throws SQLException {
    Map<String, String> statements = new LinkedHashMap<>();
    for (Asset asset : WorkflowLoader.parse(BenchWorkflow.yaml("http://127.0.0.1:9/hook")).assets()) {
      if (asset instanceof SqlAsset sql) {
        statements.put(sql.name(), sql.sql());
      }
    }
    String name = "servo_bench_test_" + UUID.randomUUID().toString().substring(0, 8);
    try (BenchDatabase database = BenchDatabase.create(EndToEndBenchmark.postgresServer(), name);
         Connection c = DriverManager.getConnection(database.url()); Statement s = c.createStatement()) {
      Map<String, String> backToBack = Map.of();
      for (int execution = 0; execution < 30; execution++) {
        backToBack = execute(s, statements);
      }
      s.execute("UPDATE bench_orders SET created_at = created_at - interval '1 hour'");
      Map<String, String> anHourLater = execute(s, statements);

      assertThat(anHourLater.get("large_orders")).isEqualTo(backToBack.get("large_orders"))
          .as("the large orders of the last five executions' inserts").isEqualTo("100;");
      assertThat(anHourLater.get("customer_totals")).isEqualTo(backToBack.get("customer_totals"));
      assertThat(anHourLater.get("prune")).isEqualTo(backToBack.get("prune")).isEqualTo("updated 20");
      try (ResultSet rows = s.executeQuery("SELECT count(*) FROM bench_orders")) {
        rows.next();
        assertThat(rows.getLong(1)).as("rows kept by prune").isEqualTo(200);
      }
    }
  }

  /** Each statement's result rows as text (its update count if it has none), by asset name. */
  private static Map<String, String> execute(Statement s, Map<String, String> statements) throws SQLException {
    Map<String, String> results = new LinkedHashMap<>();
    for (Map.Entry<String, String> statement : statements.entrySet()) {
      StringBuilder out = new StringBuilder();
      if (s.execute(statement.getValue())) {
        try (ResultSet rows = s.getResultSet()) {
          int columns = rows.getMetaData().getColumnCount();
          while (rows.next()) {
            for (int i = 1; i <= columns; i++) {
              out.append(i > 1 ? "," : "").append(rows.getString(i));
            }
            out.append(';');
          }
        }
      } else {
        out.append("updated ").append(s.getUpdateCount());
      }
      results.put(statement.getKey(), out.toString());
    }
    return results;
  }
}
