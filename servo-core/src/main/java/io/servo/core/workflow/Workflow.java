package io.servo.core.workflow;

import java.util.List;
import java.util.Optional;

/** A validated workflow definition: a named DAG of assets owned by one tenant. */
public record Workflow(String name, String tenant, List<Asset> assets) {
  public static final String DEFAULT_TENANT = "default";

  public Workflow {
    assets = List.copyOf(assets);
  }

  public Optional<Asset> asset(String assetName) {
    return assets.stream().filter(a -> a.name().equals(assetName)).findFirst();
  }
}
