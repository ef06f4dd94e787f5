package io.servo.core.workflow;

import java.util.Locale;
import java.util.Optional;

/** What an asset runs. The lower-case name is the {@code kind} of the workflow file. */
public enum AssetKind {
  SQL,
  COMMAND,
  HTTP;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<AssetKind> fromWireName(String name) {
    for (AssetKind kind : values()) {
      if (kind.wireName().equals(name)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }
}
