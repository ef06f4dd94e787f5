package io.servo.worker.execution;

import io.servo.core.execution.ExecutionState;
import io.servo.core.workflow.Asset;
import io.servo.storage.LostAttempt;
import io.servo.worker.assets.AssetOutcome;
import java.time.Instant;
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

  /**
   * What this interceptor has open on the current thread that another worker must end should this
   * one die: called inside {@link #aroundExecution} (stored with the claim) and inside {@link
   * #aroundAsset} (stored with the asset's running result). Null when there is nothing to record.
   * Must be cheap and must not throw.
   */
  default String openWork() {
    return null;
  }

  /**
   * The delivery's claim took the execution over from {@code lost}, an attempt whose worker died
   * (its lease expired) with work open; ends what that attempt recorded with {@link #openWork()}.
   * Called at most once per lost attempt across all workers, inside {@link #aroundExecution},
   * right after {@link #claimed}. Must not throw.
   */
  default void attemptLost(ExecutionRequest request, LostAttempt lost) {}

  /**
   * Whether the trace of an execution this delivery is about to end as {@code end} is kept whole
   * though it was not sampled (retroactive keep): why ({@code error} or {@code slow}), recorded
   * with the execution's end, or null. Called inside {@link #aroundExecution}, once, just before
   * the execution is finished. Must not throw.
   *
   * @param createdAt when the execution was created (its age decides {@code slow})
   */
  default String keep(ExecutionRequest request, ExecutionState end, Instant createdAt) {
    return null;
  }

  /**
   * Around one run of one asset (assets resumed from an earlier attempt or skipped are not run):
   * {@code next} records the asset running, then runs it. When that record is refused (the claim
   * was lost), {@code next} throws {@link ClaimLostException} and the asset did not run.
   */
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

      /** Each interceptor records in its own way; the first one that records anything is kept. */
      @Override
      public String openWork() {
        String work = outer.openWork();
        return work != null ? work : inner.openWork();
      }

      @Override
      public void attemptLost(ExecutionRequest request, LostAttempt lost) {
        outer.attemptLost(request, lost);
        inner.attemptLost(request, lost);
      }

      @Override
      public String keep(ExecutionRequest request, ExecutionState end, Instant createdAt) {
        String kept = outer.keep(request, end, createdAt);
        return kept != null ? kept : inner.keep(request, end, createdAt);
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
