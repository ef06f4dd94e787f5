package io.servo.worker.assets;

import io.servo.core.execution.AssetStatus;
import java.util.Objects;

/**
 * How one run of an asset ended. {@code output} and {@code error} are already redacted: they never
 * hold a resolved {@code ${env:…}} value and may be stored and returned as they are.
 *
 * @param status {@link AssetStatus#SUCCEEDED} or {@link AssetStatus#FAILED}
 * @param output a short summary: exit code and output tails, HTTP status, rows per statement
 * @param error why it failed; null when it succeeded
 * @param timedOut true when it failed because it ran past its timeout (the execution ends TIMEOUT)
 */
public record AssetOutcome(AssetStatus status, String output, String error, boolean timedOut) {
  public AssetOutcome {
    Objects.requireNonNull(status, "status");
    if (status != AssetStatus.SUCCEEDED && status != AssetStatus.FAILED) {
      throw new IllegalArgumentException("an asset run ends SUCCEEDED or FAILED, not " + status);
    }
  }

  public static AssetOutcome succeeded(String output) {
    return new AssetOutcome(AssetStatus.SUCCEEDED, output, null, false);
  }

  public static AssetOutcome failed(String error, String output) {
    return new AssetOutcome(AssetStatus.FAILED, output, error, false);
  }

  public static AssetOutcome failed(String error) {
    return failed(error, null);
  }

  public static AssetOutcome timedOut(String error, String output) {
    return new AssetOutcome(AssetStatus.FAILED, output, error, true);
  }

  /** The same outcome with {@code output} and {@code error} passed through {@code rewrite}. */
  public AssetOutcome withText(java.util.function.UnaryOperator<String> rewrite) {
    String newOutput = output == null ? null : rewrite.apply(output);
    String newError = error == null ? null : rewrite.apply(error);
    return newOutput == output && newError == error ? this
        : new AssetOutcome(status, newOutput, newError, timedOut);
  }

  public boolean succeeded() {
    return status == AssetStatus.SUCCEEDED;
  }
}
