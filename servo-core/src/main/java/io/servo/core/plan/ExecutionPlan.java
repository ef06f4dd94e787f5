package io.servo.core.plan;

import io.servo.core.workflow.Asset;
import java.util.List;

/** A workflow's assets in the order they run: every asset after all of its dependencies. */
public record ExecutionPlan(String workflow, List<Asset> steps) {
  public ExecutionPlan {
    steps = List.copyOf(steps);
  }

  public List<String> assetNames() {
    return steps.stream().map(Asset::name).toList();
  }
}
