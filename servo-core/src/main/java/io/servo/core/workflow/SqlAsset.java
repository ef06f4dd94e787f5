package io.servo.core.workflow;

import java.time.Duration;
import java.util.List;

/** A SQL script run against the warehouse ({@code SERVO_WAREHOUSE_URL}); statements split on {@code ;}. */
public record SqlAsset(String name, List<String> dependsOn, Duration timeout, String sql)
    implements Asset {
  public SqlAsset {
    dependsOn = List.copyOf(dependsOn);
  }

  @Override
  public AssetKind kind() {
    return AssetKind.SQL;
  }
}
