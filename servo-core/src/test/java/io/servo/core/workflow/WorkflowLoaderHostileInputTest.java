package io.servo.core.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Workflow files written to hurt the orchestrator: every one is rejected before any costly work,
 * with a bounded list of bounded problems that quote nothing raw, and none is silently read as
 * something else.
 */
class WorkflowLoaderHostileInputTest {

  /** Before: each problem listed every asset, so n assets cost n² characters (OOM at 10k assets). */
  @Test
  void manyUnknownDependenciesGiveABoundedReport() {
    StringBuilder file = new StringBuilder("workflow: w\nassets:\n");
    for (int i = 0; i < 5000; i++) {
      file.append("- {name: a").append(i).append(", kind: sql, sql: s, depends_on: [missing]}\n");
    }

    WorkflowValidationException e = rejected(file.toString());

    assertThat(e.problems()).hasSize(WorkflowLoader.MAX_PROBLEMS + 1);
    assertThat(e.problems().get(0)).isEqualTo(
        "asset 'a0' depends on unknown asset 'missing': known assets are [a0, a1, a2, a3, a4, a5, a6,"
            + " a7, a8, a9, … 4990 more]");
    assertThat(e.problems().get(WorkflowLoader.MAX_PROBLEMS))
        .isEqualTo("… and 4900 more problems (fix these and deploy again to see the rest)");
    assertThat(e.getMessage().length()).isLessThan(32 * 1024);
  }

  /** Before: Jackson read an alias as its anchor's name, so this ran the SQL "q". */
  @Test
  void aliasesAreRefusedInsteadOfReadAsTheAnchorName() {
    assertThat(rejected("workflow: w\nq: &q SELECT 1\nassets: [{name: a, kind: sql, sql: *q}]").problems())
        .contains("line 3: YAML aliases (*q) are not supported: write the value out where it is used");
    assertThat(rejected("workflow: &w w\nassets: [{name: *w, kind: sql, sql: x}]").problems())
        .containsExactly("line 2: YAML aliases (*w) are not supported: write the value out where it is used");
  }

  @Test
  void aBillionLaughsIsRejectedAtOnce() {
    StringBuilder bomb = new StringBuilder("workflow: w\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 10; i++) {
      bomb.append("l").append(i).append(": &l").append(i).append(" [")
          .append(String.join(", ", java.util.Collections.nCopies(9, "*l" + (i - 1)))).append("]\n");
    }
    bomb.append("assets: *l9\n");

    WorkflowValidationException e = rejected(bomb.toString());

    assertThat(e.problems()).containsExactly(
        "line 3: YAML aliases (*l0) are not supported: write the value out where it is used");
  }

  @Test
  void duplicateKeysAreRefused() {
    // A reader of the file sees the first command; a last-wins parser would run the second.
    assertThat(rejected("workflow: w\nassets: [{name: a, kind: command, command: [true], command: [rm, x]}]")
        .getMessage()).startsWith("the file is not valid YAML or JSON: Duplicate field 'command'");
    assertThat(rejected("{\"workflow\": \"w\", \"workflow\": \"v\", \"assets\": []}").getMessage())
        .startsWith("the file is not valid YAML or JSON: Duplicate field 'workflow'");
  }

  @Test
  void quotedValuesAreShortAndEscaped() {
    String huge = "x".repeat(60_000);
    assertThat(rejected("workflow: " + huge + "\nassets: [{name: a, kind: sql, sql: s}]").problems())
        .containsExactly("the workflow: invalid workflow '" + "x".repeat(80) + "…' (1-63 characters: letters,"
            + " digits, '_' or '-', starting with a letter or digit)");
    List<String> problems = rejected("workflow: \"bad\\r\\n2026-01-01 INFO forged\\u001b[31m\"\n"
        + "assets: [{name: a, kind: \"x\\ny\", sql: s, \"evil\\nkey\": 1}]").problems();
    assertThat(problems).containsExactlyInAnyOrder(
        "the workflow: invalid workflow 'bad\\r\\n2026-01-01 INFO forged\\u001b[31m' (1-63 characters: letters,"
            + " digits, '_' or '-', starting with a letter or digit)",
        "asset 'a': unknown kind 'x\\ny' (one of sql, command, http)");
    assertThat(String.join("", problems)).doesNotContainPattern("\\p{Cntrl}");
  }

  @Test
  void anOversizedFileIsRefusedBeforeParsing() {
    String file = "workflow: w\nassets: [{name: a, kind: sql, sql: \"" + "x".repeat(WorkflowLoader.MAX_FILE_CHARS) + "\"}]";

    WorkflowValidationException e = rejected(file);

    assertThat(e.problems()).containsExactly("the file has " + file.length() + " characters; a workflow file"
        + " may have at most " + WorkflowLoader.MAX_FILE_CHARS + ": move large SQL or data out of it");
  }

  /**
   * Before: SnakeYAML's cost grows with the square of a line's length, so one 3 MB line took 1.2 s of
   * CPU to parse (15 s on a loaded CI machine), and the line was accepted.
   */
  @Test
  void aYamlLineLongerThanTheLimitIsRefusedBeforeParsingNamingTheLine() {
    String sql = "x".repeat(WorkflowLoader.MAX_YAML_LINE_CHARS - 4);
    String fits = "workflow: w\nassets:\n- name: a\n  kind: sql\n  sql: |\n    " + sql + "\n";
    String tooLong = fits.replace(sql, sql + "x");

    assertThat(WorkflowLoader.parse(fits).assets()).hasSize(1);
    for (String file : List.of(tooLong, tooLong.replace("\n", "\r\n"), "# a comment\n" + tooLong.replace("\n", "\r"))) {
      int line = file.startsWith("#") ? 7 : 6;
      assertThat(rejected(file).problems()).containsExactly("line " + line + " has "
          + (WorkflowLoader.MAX_YAML_LINE_CHARS + 1) + " characters; a line of a YAML workflow file may have at most "
          + WorkflowLoader.MAX_YAML_LINE_CHARS + ": break it into lines (a block scalar, sql: |, keeps SQL readable)"
          + " or send the file as JSON");
    }
  }

  @Test
  void aLongLineIsFineInJson() {
    String sql = "x".repeat(2 * WorkflowLoader.MAX_YAML_LINE_CHARS);

    Workflow workflow = WorkflowLoader.parse(
        "{\"workflow\": \"w\", \"assets\": [{\"name\": \"a\", \"kind\": \"sql\", \"sql\": \"" + sql + "\"}]}");

    assertThat(((SqlAsset) workflow.assets().get(0)).sql()).isEqualTo(sql);
  }

  @Test
  void deepNestingIsAParseError() {
    assertThatThrownBy(() -> WorkflowLoader.parse("workflow: w\nassets: " + ("[".repeat(1000) + "\n").repeat(100)))
        .isInstanceOf(WorkflowValidationException.class)
        .hasMessageStartingWith("the file is not valid YAML or JSON:");
    assertThatThrownBy(() -> WorkflowLoader.parse("{\"workflow\": " + "{\"a\": ".repeat(100_000)))
        .isInstanceOf(WorkflowValidationException.class)
        .hasMessageStartingWith("the file is not valid YAML or JSON:");
  }

  @Test
  void anAsteriskInsideAValueIsNoAlias() {
    assertThat(WorkflowLoader.parse("workflow: w\nassets: [{name: a, kind: sql, sql: 'SELECT * FROM t'}]")
        .assets().get(0)).isEqualTo(new SqlAsset("a", List.of(), Asset.DEFAULT_TIMEOUT, "SELECT * FROM t"));
  }

  private static WorkflowValidationException rejected(String text) {
    return assertThrows(WorkflowValidationException.class, () -> WorkflowLoader.parse(text));
  }
}
