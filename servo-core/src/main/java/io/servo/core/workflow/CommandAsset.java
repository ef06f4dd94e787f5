package io.servo.core.workflow;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A subprocess started from an argv list, never through a shell. {@code env} values may hold
 * {@code ${env:NAME}} references, resolved on the worker when the asset runs.
 */
public record CommandAsset(
    String name, List<String> dependsOn, Duration timeout, List<String> command, Map<String, String> env)
    implements Asset {
  public CommandAsset {
    dependsOn = List.copyOf(dependsOn);
    command = List.copyOf(command);
    env = Map.copyOf(env);
  }

  @Override
  public AssetKind kind() {
    return AssetKind.COMMAND;
  }
}
