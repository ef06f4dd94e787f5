package io.servo.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.workflow.Asset;
import io.servo.core.workflow.SqlAsset;
import io.servo.core.workflow.Workflow;
import io.servo.core.workflow.WorkflowLoader;
import java.util.List;
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
}
