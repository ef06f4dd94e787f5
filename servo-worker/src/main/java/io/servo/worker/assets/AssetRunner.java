package io.servo.worker.assets;

import io.servo.core.workflow.Asset;

/** Runs one asset to the end, within its timeout. One implementation per {@code kind}. */
public interface AssetRunner {
  /**
   * Runs {@code asset} of {@code context}'s tenant, within what that tenant was granted. Failures of the asset itself (a non-zero exit, an HTTP 500, a SQL error, a
   * missing variable) are returned as a failed {@link AssetOutcome}, never thrown.
   *
   * @throws InterruptedException when the worker is shutting down; the asset's work was stopped
   */
  AssetOutcome run(AssetContext context, Asset asset) throws InterruptedException;
}
