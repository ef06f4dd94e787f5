package io.servo.core.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkflowLoaderTest {
  private static final String DAILY_SALES =
      """
      workflow: daily_sales
      tenant: acme
      assets:
        - name: raw_orders
          kind: sql
          sql: CREATE TABLE orders (id INT)
        - name: cleaned_orders
          kind: command
          command: [python3, scripts/clean.py]
          env: {API_KEY: "${env:API_KEY}"}
          timeout: 5m
          depends_on: [raw_orders]
        - name: notify
          kind: http
          method: POST
          url: http://localhost:9000/hook
          headers: {Authorization: "${env:HOOK_TOKEN}"}
          depends_on: [cleaned_orders]
      """;

  @Test
  void loadsTheDesignExample() {
    Workflow wf = WorkflowLoader.parse(DAILY_SALES);

    assertThat(wf.name()).isEqualTo("daily_sales");
    assertThat(wf.tenant()).isEqualTo("acme");
    assertThat(wf.assets()).extracting(Asset::name).containsExactly("raw_orders", "cleaned_orders", "notify");
    CommandAsset clean = (CommandAsset) wf.asset("cleaned_orders").orElseThrow();
    assertThat(clean.command()).containsExactly("python3", "scripts/clean.py");
    assertThat(clean.env()).containsEntry("API_KEY", "${env:API_KEY}");
    assertThat(clean.timeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(clean.dependsOn()).containsExactly("raw_orders");
    HttpAsset notify = (HttpAsset) wf.asset("notify").orElseThrow();
    assertThat(notify.method()).isEqualTo("POST");
    assertThat(notify.headers()).containsEntry("Authorization", "${env:HOOK_TOKEN}");
    assertThat(wf.asset("raw_orders").orElseThrow().timeout()).isEqualTo(Asset.DEFAULT_TIMEOUT);
  }

  @Test
  void tenantDefaultsToDefault() {
    Workflow wf = WorkflowLoader.parse("workflow: w\nassets: [{name: a, kind: sql, sql: SELECT 1}]");
    assertThat(wf.tenant()).isEqualTo("default");
  }

  @Test
  void readsJsonAndRoundTripsThroughTheCanonicalForm() {
    Workflow yaml = WorkflowLoader.parse(DAILY_SALES);
    String json = WorkflowLoader.toTree(yaml).toString();

    Workflow back = WorkflowLoader.parse(json);

    assertThat(back).isEqualTo(yaml);
  }

  @Test
  void unknownKind() {
    assertProblems("workflow: w\nassets: [{name: a, kind: spark}]",
        "asset 'a': unknown kind 'spark' (one of sql, command, http)");
  }

  @Test
  void missingFields() {
    assertProblems("assets: [{name: a, kind: sql}]",
        "the workflow: missing field 'workflow'",
        "asset 'a': missing field 'sql'");
    assertProblems("workflow: w\nassets: [{kind: sql, sql: x}]", "asset #1: missing field 'name'");
    assertProblems("workflow: w\nassets: [{name: a}]",
        "asset 'a': missing field 'kind' (one of sql, command, http)");
    assertProblems("workflow: w", "missing field 'assets': list the workflow's assets");
    assertProblems("workflow: w\nassets: [{name: a, kind: command}]", "asset 'a': missing field 'command'");
    assertProblems("workflow: w\nassets: [{name: a, kind: http}]", "asset 'a': missing field 'url'");
  }

  @Test
  void duplicateAsset() {
    assertProblems(
        "workflow: w\nassets: [{name: a, kind: sql, sql: x}, {name: a, kind: sql, sql: y}]",
        "duplicate asset 'a': asset names must be unique in a workflow");
  }

  @Test
  void unknownDependency() {
    assertProblems(
        "workflow: w\nassets: [{name: a, kind: sql, sql: x, depends_on: [b]}]",
        "asset 'a' depends on unknown asset 'b': known assets are [a]");
  }

  @Test
  void cycleNamesTheAssetsOnIt() {
    String text =
        """
        workflow: w
        assets:
          - {name: start, kind: sql, sql: x}
          - {name: a, kind: sql, sql: x, depends_on: [start, c]}
          - {name: b, kind: sql, sql: x, depends_on: [a]}
          - {name: c, kind: sql, sql: x, depends_on: [b]}
        """;
    assertThatThrownBy(() -> WorkflowLoader.parse(text))
        .isInstanceOf(WorkflowValidationException.class)
        .hasMessage("dependency cycle: a -> c -> b -> a"
            + " (each depends on the next; remove one of these depends_on entries)");
  }

  @Test
  void selfDependency() {
    assertThatThrownBy(() -> WorkflowLoader.parse("workflow: w\nassets: [{name: a, kind: sql, sql: x, depends_on: [a]}]"))
        .hasMessageContaining("asset 'a' depends on itself");
  }

  @Test
  void badDuration() {
    assertProblems("workflow: w\nassets: [{name: a, kind: sql, sql: x, timeout: 5 minutes}]",
        "asset 'a': bad duration '5 minutes' for 'timeout' (use a positive number with a unit: 500ms, 30s, 5m, 1h30m)");
    assertProblems("workflow: w\nassets: [{name: a, kind: sql, sql: x, timeout: 0s}]",
        "asset 'a': bad duration '0s' for 'timeout' (use a positive number with a unit: 500ms, 30s, 5m, 1h30m)");
  }

  @Test
  void unknownFieldCatchesTypos() {
    assertProblems("workflow: w\nassets: [{name: a, kind: sql, sql: x, dependson: [b]}]",
        "asset 'a' (kind sql): unknown field 'dependson' (accepted: depends_on, kind, name, sql, timeout)");
  }

  @Test
  void invalidNames() {
    assertProblems("workflow: 'bad name'\nassets: [{name: a, kind: sql, sql: x}]",
        "the workflow: invalid workflow 'bad name' (1-63 characters: letters, digits, '_' or '-', starting with a letter or digit)");
  }

  @Test
  void malformedYamlSaysWhere() {
    assertThatThrownBy(() -> WorkflowLoader.parse("workflow: w\nassets: [\n  - {name: a"))
        .isInstanceOf(WorkflowValidationException.class)
        .hasMessageStartingWith("the file is not valid YAML or JSON:")
        .hasMessageContaining("line");
  }

  @Test
  void reportsEveryProblemAtOnce() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(WorkflowValidationException.class,
        () -> WorkflowLoader.parse("workflow: w\nassets: [{name: a, kind: nope}, {name: b, kind: sql}]"));
    assertThat(e.problems()).hasSize(2);
  }

  @Test
  void badHttpFields() {
    assertProblems("workflow: w\nassets: [{name: a, kind: http, url: ftp://x, method: FETCH}]",
        "asset 'a': 'url' must start with http:// or https:// (got 'ftp://x')",
        "asset 'a': unknown HTTP method 'FETCH' (one of DELETE, GET, HEAD, PATCH, POST, PUT)");
  }

  private static void assertProblems(String text, String... expected) {
    assertThatThrownBy(() -> WorkflowLoader.parse(text))
        .isInstanceOfSatisfying(WorkflowValidationException.class,
            e -> assertThat(e.problems()).containsExactlyInAnyOrder(expected));
  }

  @Test
  void fieldErrorsDuplicatesAndUnknownDependenciesAreReportedInOneGo() {
    assertThatThrownBy(() -> WorkflowLoader.parse("""
        workflow: w
        assets:
          - {name: a, kind: spark}
          - {name: b, kind: sql, sql: SELECT 1}
          - {name: b, kind: sql, sql: SELECT 2}
          - {name: c, kind: sql, sql: SELECT 3, depends_on: [nowhere, a]}
          - {name: d, kind: sql, sql: SELECT 4, depends_on: [e]}
          - {name: e, kind: sql, sql: SELECT 5, depends_on: [d]}
        """))
        .isInstanceOfSatisfying(WorkflowValidationException.class, e -> assertThat(e.problems()).containsExactly(
            "asset 'a': unknown kind 'spark' (one of sql, command, http)",
            "duplicate asset 'b': asset names must be unique in a workflow",
            "asset 'c' depends on unknown asset 'nowhere': known assets are [a, b, c, d, e]",
            "dependency cycle: d -> e -> d (each depends on the next; remove one of these depends_on entries)"));
  }

  @Test
  void aYamlSyntaxErrorIsOneReadableLineWithOnePosition() {
    assertThatThrownBy(() -> WorkflowLoader.parse("workflow: w\nassets:\n  - {name: a, kind: sql\n"))
        .isInstanceOfSatisfying(WorkflowValidationException.class, e -> {
          assertThat(e.problems()).hasSize(1);
          assertThat(e.problems().get(0)).isEqualTo("the file is not valid YAML or JSON: line 4, column 1: expected ','"
              + " or '}', but got <stream end> (while parsing a flow mapping that starts at line 3, column 5)");
        });
  }
}
