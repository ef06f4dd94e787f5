package io.servo.worker.execution;

import io.servo.core.workflow.Asset;
import io.servo.worker.assets.AssetOutcome;

/**
 * Wraps the two units of work of a delivery: executing the workflow (claim, assets, finish) and
 * executing one asset. Cross-cutting concerns such as tracing implement this and are installed
 * once when the worker is built; the executor and the runners never call them directly. An
 * implementation must call {@code next.proceed()} exactly once and return (or rethrow) its result.
 */
public interface ExecutionInterceptor {
  /** Intercepts nothing. */
  ExecutionInterceptor NONE = new ExecutionInterceptor() {};

  /** Around one delivery of a task, from the claim to the answer. */
  default ExecutionOutcome aroundExecution(ExecutionRequest request, Proceed<ExecutionOutcome> next)
      throws InterruptedException {
    return next.proceed();
  }

  /** Around one run of one asset (assets resumed from an earlier attempt or skipped are not run). */
  default AssetOutcome aroundAsset(ExecutionRequest request, int attempt, Asset asset,
      Proceed<AssetOutcome> next) throws InterruptedException {
    return next.proceed();
  }

  /** The intercepted work. */
  @FunctionalInterface
  interface Proceed<T> {
    T proceed() throws InterruptedException;
  }
}
