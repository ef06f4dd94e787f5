package io.servo.worker.execution;

import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.core.plan.ExecutionPlan;
import io.servo.core.plan.PlanCompiler;
import io.servo.core.task.TaskPayload;
import io.servo.core.tenant.TenantPolicy;
import io.servo.core.workflow.Asset;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.storage.AssetResult;
import io.servo.storage.Claim;
import io.servo.storage.Execution;
import io.servo.storage.ExecutionStore;
import io.servo.storage.StorageException;
import io.servo.worker.assets.AssetOutcome;
import io.servo.worker.assets.AssetContext;
import io.servo.worker.assets.AssetRunner;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one delivery of a task: claims the execution, runs its plan in order, records every asset
 * result and finishes the execution, all fenced by the claim's attempt number.
 *
 * <p>Delivery is at least once, so every step is safe to repeat: an ended execution is reported,
 * not run again; assets that succeeded in an earlier attempt (whose worker died) are not run
 * again; a failure of Servo's own database gives the claim back so the next delivery resumes.
 */
public final class WorkflowExecutor {
  private static final Logger log = LoggerFactory.getLogger(WorkflowExecutor.class);
  private static final int MAX_EXECUTION_ERROR_CHARS = 300;

  private final ExecutionStore store;
  private final AssetRunner runner;
  private final TenantPolicy policy;
  private final ExecutionInterceptor interceptor;
  private final Clock clock;
  private final Duration lease;
  private final LeaseHeartbeat heartbeat;

  private WorkflowExecutor(ExecutionStore store, AssetRunner runner, TenantPolicy policy,
      ExecutionInterceptor interceptor, Clock clock, Duration lease, ScheduledExecutorService scheduler) {
    this.store = store;
    this.runner = runner;
    this.policy = policy;
    this.interceptor = interceptor;
    this.clock = clock;
    this.lease = lease;
    this.heartbeat = new LeaseHeartbeat(store, scheduler, lease);
  }

  /**
   * @param lease how long a claim lasts without renewal; renewed every third of it on {@code scheduler}
   * @param clock the time recorded on asset results
   * @param policy what each tenant's assets were granted
   */
  public static WorkflowExecutor create(ExecutionStore store, AssetRunner runner, TenantPolicy policy,
      ExecutionInterceptor interceptor, Clock clock, Duration lease,
      ScheduledExecutorService scheduler) {
    Objects.requireNonNull(lease, "lease");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, got " + lease);
    }
    return new WorkflowExecutor(
        Objects.requireNonNull(store, "store"),
        Objects.requireNonNull(runner, "runner"),
        Objects.requireNonNull(policy, "policy"),
        Objects.requireNonNull(interceptor, "interceptor"),
        Objects.requireNonNull(clock, "clock"),
        lease,
        Objects.requireNonNull(scheduler, "scheduler"));
  }

  /**
   * Runs the delivery of an authenticated, decoded payload synchronously.
   *
   * @throws InterruptedException only if an interceptor lets one escape; the executor itself
   *     turns an interruption into {@link ExecutionOutcome.Interrupted}
   */
  public ExecutionOutcome execute(TaskPayload payload, Delivery delivery) throws InterruptedException {
    // The codec validated the definition already; compiling again cannot fail.
    ExecutionPlan plan = PlanCompiler.compile(WorkflowLoader.fromTree(payload.definition()));
    ExecutionRequest request = new ExecutionRequest(payload, delivery, plan);
    return interceptor.aroundExecution(request, () -> claimAndRun(request));
  }

  private ExecutionOutcome claimAndRun(ExecutionRequest request) {
    String tenant = request.tenant();
    String id = request.executionId();
    Optional<Claim> claimed;
    try {
      // With what ends this attempt's open spans should the worker die; a column of the claim's
      // own UPDATE, so recording it costs no round trip.
      claimed = store.claim(tenant, id, lease, interceptor.openWork());
      if (claimed.isEmpty()) {
        return unclaimable(tenant, id);
      }
    } catch (StorageException e) {
      log.warn("execution {}: Servo's database is unavailable, the queue will retry", id, e);
      return new ExecutionOutcome.Interrupted(id, "Servo's database is unavailable; retry later", e);
    }
    int attempt = claimed.get().execution().attempt();
    interceptor.claimed(request, attempt);
    claimed.get().lostAttempt().ifPresent(lost -> {
      log.warn("execution {} attempt {}: took over attempt {}, whose worker was lost (lease expired at {})",
          id, attempt, lost.attempt(), lost.leaseUntil());
      interceptor.attemptLost(request, lost);
    });
    log.info("execution {} of {}/{} claimed: attempt {}, {} assets, delivery {}", id, tenant,
        request.payload().workflow(), attempt, request.plan().steps().size(), request.delivery());
    try (LeaseHeartbeat.Beat beat = heartbeat.start(tenant, id, attempt)) {
      return runPlan(request, attempt, claimed.get().execution().createdAt(), beat);
    } catch (StorageException e) {
      log.warn("execution {} attempt {}: Servo's database failed mid-execution; giving the claim "
          + "back so the next delivery resumes", id, attempt, e);
      releaseQuietly(tenant, id, attempt);
      return new ExecutionOutcome.Interrupted(
          id, "Servo's database failed during the execution; the next delivery resumes it", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("execution {} attempt {}: interrupted (worker shutting down); giving the claim back",
          id, attempt);
      releaseQuietly(tenant, id, attempt);
      return new ExecutionOutcome.Interrupted(
          id, "the worker is shutting down; the next delivery resumes the execution");
    }
  }

  /** Why the claim was refused: no such execution, already ended, or another worker has it. */
  private ExecutionOutcome unclaimable(String tenant, String id) {
    Optional<Execution> current = store.find(tenant, id);
    if (current.isEmpty()) {
      log.warn("execution {} of tenant {} does not exist", id, tenant);
      return new ExecutionOutcome.NotFound(id);
    }
    Execution execution = current.get();
    if (execution.state().isEnded()) {
      log.info("execution {} already ended {}: redelivery ignored", id, execution.state().wireName());
      return new ExecutionOutcome.Ended(id, execution.state(), store.assetResults(tenant, id), true);
    }
    log.info("execution {} is {} under another worker's lease until {}", id,
        execution.state().wireName(), execution.leaseUntil());
    return new ExecutionOutcome.Busy(id, execution.leaseUntil());
  }

  private ExecutionOutcome runPlan(ExecutionRequest request, int attempt, Instant createdAt,
      LeaseHeartbeat.Beat beat)
      throws InterruptedException {
    String tenant = request.tenant();
    String id = request.executionId();
    Map<String, AssetResult> earlier = new HashMap<>();
    for (AssetResult result : store.assetResults(tenant, id)) {
      earlier.put(result.assetName(), result);
    }
    List<AssetResult> results = new ArrayList<>();
    Set<String> notSucceeded = new HashSet<>();
    AssetResult firstFailure = null;
    boolean timedOut = false;
    for (Asset asset : request.plan().steps()) {
      if (beat.lost()) {
        return lostClaim(id, attempt);
      }
      AssetResult before = earlier.get(asset.name());
      if (before != null && before.status() == AssetStatus.SUCCEEDED) {
        log.info("execution {}: asset {} succeeded in attempt {}, not run again", id, asset.name(),
            before.attempt());
        results.add(before);
        continue;
      }
      Optional<String> failedDependency =
          asset.dependsOn().stream().filter(notSucceeded::contains).findFirst();
      AssetResult result;
      if (failedDependency.isPresent()) {
        Instant now = clock.instant();
        result = new AssetResult(id, asset.name(), asset.kind().wireName(), AssetStatus.SKIPPED,
            attempt, now, now, null,
            "skipped: depends on '" + failedDependency.get() + "', which did not succeed");
        if (!store.recordAssetResult(tenant, result)) {
          return lostClaim(id, attempt);
        }
      } else {
        Instant started = clock.instant();
        AssetOutcome outcome;
        try {
          outcome = runAsset(request, attempt, asset, started);
        } catch (ClaimLostException e) {
          return lostClaim(id, attempt);
        }
        result = new AssetResult(id, asset.name(), asset.kind().wireName(), outcome.status(),
            attempt, started, clock.instant(), outcome.output(), outcome.error());
        if (!store.recordAssetResult(tenant, result)) {
          return lostClaim(id, attempt);
        }
        timedOut |= outcome.timedOut();
      }
      results.add(result);
      if (result.status() != AssetStatus.SUCCEEDED) {
        notSucceeded.add(asset.name());
        if (firstFailure == null && result.status() == AssetStatus.FAILED) {
          firstFailure = result;
        }
      }
    }
    if (beat.lost()) {
      return lostClaim(id, attempt);
    }
    ExecutionState end =
        firstFailure == null ? ExecutionState.SUCCEEDED
            : timedOut ? ExecutionState.TIMEOUT : ExecutionState.FAILED;
    String error = firstFailure == null ? null : executionError(firstFailure);
    // Decided before the finishing write, which records it: the orchestrator holding the rest of an
    // unsampled trace learns from the ended row whether to export it.
    String traceKept = interceptor.keep(request, end, createdAt);
    if (!store.finish(tenant, id, attempt, end, error, traceKept)) {
      return lostClaim(id, attempt);
    }
    if (error == null) {
      log.info("execution {} attempt {} ended {}", id, attempt, end.wireName());
    } else {
      log.warn("execution {} attempt {} ended {}: {}", id, attempt, end.wireName(), error);
    }
    return new ExecutionOutcome.Ended(id, end, results, false);
  }

  private AssetOutcome runAsset(ExecutionRequest request, int attempt, Asset asset, Instant started)
      throws InterruptedException {
    long t0 = System.nanoTime();
    AssetOutcome outcome;
    try {
      outcome = interceptor.aroundAsset(request, attempt, asset, () -> {
        // Recorded as running first, so a status query shows it and a resumed attempt re-runs it,
        // with what ends the asset's span should this worker die (inside the interceptor, where the
        // span is open). Every write is fenced by the attempt: once another worker took the
        // execution over (this one stalled past its lease), nothing more is written and no further
        // asset runs.
        if (!store.recordAssetResult(request.tenant(), new AssetResult(request.executionId(), asset.name(),
            asset.kind().wireName(), AssetStatus.RUNNING, attempt, started, null, null, null),
            interceptor.openWork())) {
          throw new ClaimLostException();
        }
        return runner.run(
            new AssetContext(request.tenant(), request.executionId(), policy.grants(request.tenant())), asset);
      });
    } catch (StorageException | ClaimLostException e) {
      throw e;
    } catch (RuntimeException e) {
      // A bug in a runner, not a failure of the asset; its message may quote resolved values.
      log.error("execution {}: the {} runner failed on asset {} ({})", request.executionId(),
          asset.kind().wireName(), asset.name(), e.getClass().getName());
      outcome = AssetOutcome.failed(
          "internal error in the worker's " + asset.kind().wireName() + " runner ("
              + e.getClass().getSimpleName() + ")");
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    if (outcome.succeeded()) {
      log.info("execution {}: asset {} ({}) {} in {} ms", request.executionId(), asset.name(),
          asset.kind().wireName(), outcome.status().wireName(), millis);
    } else {
      // Runners' errors hold no resolved ${env:…} value; the log encoder redacts secret shapes too.
      log.warn("execution {}: asset {} ({}) {} after {} ms: {}", request.executionId(), asset.name(),
          asset.kind().wireName(), outcome.timedOut() ? "timed out" : "failed", millis, outcome.error());
    }
    return outcome;
  }

  private static String executionError(AssetResult failed) {
    String reason = failed.error() == null ? "failed" : failed.error().strip();
    int newline = reason.indexOf('\n');
    if (newline >= 0) {
      reason = reason.substring(0, newline) + " …";
    }
    if (reason.length() > MAX_EXECUTION_ERROR_CHARS) {
      reason = reason.substring(0, MAX_EXECUTION_ERROR_CHARS) + "…";
    }
    return "asset '" + failed.assetName() + (AssetOutcome.isTimeout(failed.error()) ? "' timed out: " : "' failed: ")
        + reason;
  }

  /** The store refused a write fenced by {@code attempt}: another worker took over, or the execution was ended. */
  private ExecutionOutcome lostClaim(String id, int attempt) {
    log.warn("execution {} attempt {}: the claim was taken over by another worker; stopping", id,
        attempt);
    return new ExecutionOutcome.Interrupted(id, "another worker took the execution over");
  }

  private void releaseQuietly(String tenant, String id, int attempt) {
    try {
      store.releaseLease(tenant, id, attempt);
    } catch (RuntimeException e) {
      // The lease lapses on its own; the next delivery takes over then.
      log.warn("execution {} attempt {}: could not give the claim back ({})", id, attempt,
          e.getClass().getSimpleName());
    }
  }
}
