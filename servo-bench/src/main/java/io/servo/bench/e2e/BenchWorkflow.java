package io.servo.bench.e2e;

/**
 * The benchmark's workflows. {@link EndToEndBenchmark#WORKFLOW}: five {@code sql} assets against the
 * warehouse (Servo's database) and one {@code http} asset whose header comes from {@code
 * ${env:HOOK_TOKEN}}, so redaction has something to look at. Each execution touches a bounded set of
 * rows: {@code prune} keeps the table at the last ten seconds of inserts. {@link
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
            sql: SELECT customer, sum(amount) FROM bench_orders WHERE created_at > now() - interval '5 seconds' GROUP BY customer
            depends_on: [load_orders]
          - name: large_orders
            kind: sql
            sql: SELECT count(*) FROM bench_orders WHERE created_at > now() - interval '5 seconds' AND amount > 10
            depends_on: [load_orders]
          - name: latest_order
            kind: sql
            sql: SELECT id, customer, amount FROM bench_orders ORDER BY id DESC LIMIT 1
            depends_on: [customer_totals, large_orders]
          - name: prune
            kind: sql
            sql: DELETE FROM bench_orders WHERE created_at < now() - interval '10 seconds'
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
