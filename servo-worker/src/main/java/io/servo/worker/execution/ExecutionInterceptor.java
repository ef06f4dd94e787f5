package io.servo.worker.execution;

import io.servo.core.workflow.Asset;
import io.servo.worker.assets.AssetOutcome;
import java.util.Objects;

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

  /**
   * The delivery claimed the execution as {@code attempt}; called inside {@link #aroundExecution},
   * on its thread, before any asset runs. Must not throw.
   */
  default void claimed(ExecutionRequest request, int attempt) {}

  /** Around one run of one asset (assets resumed from an earlier attempt or skipped are not run). */
  default AssetOutcome aroundAsset(ExecutionRequest request, int attempt, Asset asset,
      Proceed<AssetOutcome> next) throws InterruptedException {
    return next.proceed();
  }

  /**
   * {@code outer} around {@code inner}: each unit of work passes through {@code outer} first.
   */
  static ExecutionInterceptor chain(ExecutionInterceptor outer, ExecutionInterceptor inner) {
    Objects.requireNonNull(outer, "outer");
    Objects.requireNonNull(inner, "inner");
    if (outer == NONE) {
      return inner;
    }
    if (inner == NONE) {
      return outer;
    }
    return new ExecutionInterceptor() {
      @Override
      public ExecutionOutcome aroundExecution(ExecutionRequest request, Proceed<ExecutionOutcome> next)
          throws InterruptedException {
        return outer.aroundExecution(request, () -> inner.aroundExecution(request, next));
      }

      @Override
      public void claimed(ExecutionRequest request, int attempt) {
        outer.claimed(request, attempt);
        inner.claimed(request, attempt);
      }

      @Override
      public AssetOutcome aroundAsset(ExecutionRequest request, int attempt, Asset asset,
          Proceed<AssetOutcome> next) throws InterruptedException {
        return outer.aroundAsset(request, attempt, asset,
            () -> inner.aroundAsset(request, attempt, asset, next));
      }
    };
  }

  /** The intercepted work. */
  @FunctionalInterface
  interface Proceed<T> {
    T proceed() throws InterruptedException;
  }
}
