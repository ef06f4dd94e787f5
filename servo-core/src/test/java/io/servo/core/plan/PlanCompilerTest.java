package io.servo.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.workflow.WorkflowLoader;
import org.junit.jupiter.api.Test;

class PlanCompilerTest {
  @Test
  void dependenciesRunFirstAndTiesKeepDeclarationOrder() {
    var wf = WorkflowLoader.parse(
        """
        workflow: w
        assets:
          - {name: report, kind: sql, sql: x, depends_on: [clean, enrich]}
          - {name: enrich, kind: sql, sql: x, depends_on: [raw]}
          - {name: clean, kind: sql, sql: x, depends_on: [raw]}
          - {name: raw, kind: sql, sql: x}
          - {name: standalone, kind: sql, sql: x}
        """);

    ExecutionPlan plan = PlanCompiler.compile(wf);

    assertThat(plan.assetNames()).containsExactly("raw", "enrich", "clean", "report", "standalone");
  }

  @Test
  void sameWorkflowSamePlan() {
    var text = "workflow: w\nassets: [{name: b, kind: sql, sql: x}, {name: a, kind: sql, sql: x}]";
    assertThat(PlanCompiler.compile(WorkflowLoader.parse(text)).assetNames())
        .isEqualTo(PlanCompiler.compile(WorkflowLoader.parse(text)).assetNames())
        .containsExactly("b", "a");
  }
}
