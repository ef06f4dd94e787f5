package io.servo.bench.e2e;

/**
 * The benchmark's workflows. {@link EndToEndBenchmark#WORKFLOW}: five {@code sql} assets against the
 * warehouse (Servo's database) and one {@code http} asset whose header comes from {@code
 * ${env:HOOK_TOKEN}}, so redaction has something to look at. Each execution reads and writes the
 * same number of rows whenever it runs: the queries read the last 100 rows (five executions'
 * inserts) and {@code prune} keeps the last 200, counted by id, not by time. Until 2026-12-08 they
 * read the last five seconds of inserts: the benchmark stops each child between its slices, so a
 * slice that came soon after its child's previous one found more rows in that window, and
 * PostgreSQL's CPU per execution, the benchmark's yardstick, depended on the order of the slices
 * (10% more after a pause under 4 s than after 4-8 s; a control run once a block against (a) run
 * twice came out +4.5% off). {@link
 * EndToEndBenchmark#FAILING_WORKFLOW}: the same, then a {@code check} that divides by zero, so its
 * executions fail after doing all the work of a successful one and their traces are whole.
 */
final class BenchWorkflow {
  private BenchWorkflow() {}

  /** The workflow whose executions succeed. */
  static String yaml(String hookUrl) {
    return assets(EndToEndBenchmark.WORKFLOW, hookUrl);
  }

  /** The workflow whose executions fail, in their last asset. */
  static String failingYaml(String hookUrl) {
    return assets(EndToEndBenchmark.FAILING_WORKFLOW, hookUrl) + """
          - name: check
            kind: sql
            sql: SELECT 1/0
            depends_on: [notify]
        """;
  }

  private static String assets(String workflow, String hookUrl) {
    return """
        workflow: %s
        assets:
          - name: load_orders
            kind: sql
            sql: INSERT INTO bench_orders (customer, amount) SELECT 'customer-' || (g %% 7), 10.5 FROM generate_series(1, 20) g
          - name: customer_totals
            kind: sql
            sql: SELECT customer, sum(amount) FROM bench_orders WHERE id > (SELECT max(id) FROM bench_orders) - 100 GROUP BY customer
            depends_on: [load_orders]
          - name: large_orders
            kind: sql
            sql: SELECT count(*) FROM bench_orders WHERE id > (SELECT max(id) FROM bench_orders) - 100 AND amount > 10
            depends_on: [load_orders]
          - name: latest_order
            kind: sql
            sql: SELECT id, customer, amount FROM bench_orders ORDER BY id DESC LIMIT 1
            depends_on: [customer_totals, large_orders]
          - name: prune
            kind: sql
            sql: DELETE FROM bench_orders WHERE id <= (SELECT max(id) FROM bench_orders) - 200
            depends_on: [latest_order]
          - name: notify
            kind: http
            method: POST
            url: %s
            headers: {Authorization: "${env:HOOK_TOKEN}"}
            depends_on: [prune]
        """.formatted(workflow, hookUrl);
  }
}
