package io.servo.core.execution;

import java.util.Locale;

/** The outcome of one asset within one execution. */
public enum AssetStatus {
  RUNNING,
  SUCCEEDED,
  FAILED,
  /** Not run because an asset it depends on failed. */
  SKIPPED;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static AssetStatus fromWireName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
