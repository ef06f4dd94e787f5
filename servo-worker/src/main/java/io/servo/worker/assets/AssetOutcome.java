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

  /**
   * An asset stopped at its timeout. It is stored as failed (the execution ends TIMEOUT); its error
   * begins as {@link #isTimeout} expects, which is how the executor and the API's readers (the
   * trace, {@code servo status}) tell a timeout from a failure.
   *
   * @throws IllegalArgumentException when {@code error} does not begin that way
   */
  public static AssetOutcome timedOut(String error, String output) {
    if (!isTimeout(error)) {
      throw new IllegalArgumentException("a timeout's error must begin 'timed out after' (or 'METHOD ORIGIN "
          + "[(from URL)] timed out after'), was: " + error);
    }
    return new AssetOutcome(AssetStatus.FAILED, output, error, true);
  }

  /**
   * A timeout's error begins {@code timed out after} (commands, sql) or {@code METHOD ORIGIN (from
   * URL) timed out after} (http; errors stored before http failures named the origin read {@code
   * METHOD URL timed out after}). Anchored at the start: a failure's error begins otherwise ({@code
   * exit code}, {@code statement}, {@code METHOD ORIGIN failed: HTTP 500}, …), so a program that
   * prints "timed out after" in its stderr is still a failure.
   */
  private static final java.util.regex.Pattern TIMEOUT_ERROR =
      java.util.regex.Pattern.compile("(?:[A-Z]+ \\S+ (?:\\(from \\S+\\) )?)?timed out after .*", java.util.regex.Pattern.DOTALL);

  /** Whether a stored asset error is a timeout's. */
  public static boolean isTimeout(String error) {
    return error != null && TIMEOUT_ERROR.matcher(error).matches();
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
