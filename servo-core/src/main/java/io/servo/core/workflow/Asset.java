package io.servo.core.workflow;

import java.time.Duration;
import java.util.List;

/** One node of a workflow's DAG. */
public sealed interface Asset permits SqlAsset, CommandAsset, HttpAsset {
  /** The timeout an asset gets when its file names none. */
  Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

  String name();

  AssetKind kind();

  List<String> dependsOn();

  Duration timeout();
}
