package io.servo.worker.execution;

/**
 * Thrown through {@link ExecutionInterceptor#aroundAsset} when the store refused to record the asset
 * as running: another worker took the execution over (or it ended) before the asset ran, so it did
 * not run. The executor stops the delivery; an interceptor lets it pass.
 */
public final class ClaimLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ClaimLostException() {
    super("the claim was lost before the asset ran; another worker took the execution over", null,
        false, false);
  }
}
