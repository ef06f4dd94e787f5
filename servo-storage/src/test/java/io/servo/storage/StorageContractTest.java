package io.servo.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour both dialects promise; subclasses supply a fresh database. */
abstract class StorageContractTest {
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration LEASE = Duration.ofSeconds(30);
  static final byte[] PAYLOAD = "{\"v\":1}".getBytes(StandardCharsets.UTF_8);

  final MutableClock clock = new MutableClock(START);
  ServoStorage storage;
  ExecutionStore executions;
  OutboxStore outbox;
  WorkflowStore workflows;
  private final AtomicInteger ids = new AtomicInteger();

  /** A URL of a database that is empty (or holds only what earlier opens in this test wrote). */
  abstract String url();

  /** The table's name as hand-written SQL must spell it. */
  abstract String table(String name);

  ServoStorage open() {
    return Storage.open(url(), StorageOptions.defaults().withClock(clock).withPoolSize(8));
  }

  @BeforeEach
  void openStorage() {
    storage = open();
    executions = storage.executions();
    outbox = storage.outbox();
    workflows = storage.workflows();
  }

  @AfterEach
  void closeStorage() {
    if (storage != null) {
      storage.close();
    }
  }

  String newId() {
    return "exec-" + ids.incrementAndGet();
  }

  Execution create(String tenant) {
    return create(tenant, null);
  }

  Execution create(String tenant, String key) {
    String id = newId();
    return executions.create(new NewExecution(id, tenant, "daily_sales", 1, key, "trace-" + id), "task-" + id, PAYLOAD)
        .execution();
  }

  /** An execution of tenant {@code a} brought into {@code state} through the store's own transitions. */
  Execution executionIn(ExecutionState state) {
    Execution e = create("a");
    if (state == ExecutionState.PENDING) {
      return e;
    }
    if (state == ExecutionState.CANCELLED) {
      assertThat(executions.transition("a", e.id(), ExecutionState.PENDING, ExecutionState.CANCELLED, null)).isTrue();
      return executions.find("a", e.id()).orElseThrow();
    }
    Execution running = executions.claim("a", e.id(), LEASE).orElseThrow();
    if (state != ExecutionState.RUNNING) {
      assertThat(executions.finish("a", e.id(), running.attempt(), state, null)).isTrue();
    }
    return executions.find("a", e.id()).orElseThrow();
  }

  // --- migrations and lifecycle ---

  @Test
  void migrationsAreIdempotentAndDataSurvivesReopening() {
    Execution e = create("a");
    storage.close();
    storage = open();
    try (ServoStorage second = open()) {
      assertThat(second.executions().find("a", e.id())).contains(e);
    }
    assertThat(storage.executions().find("a", e.id())).contains(e);
    assertThat(storage.isReady()).isTrue();
  }

  @Test
  void notReadyOnceClosed() {
    assertThat(storage.isReady()).isTrue();
    storage.close();
    assertThat(storage.isReady()).isFalse();
  }

  @Test
  void everyStatementGoesThroughTheWrappedDataSource() {
    storage.close();
    AtomicInteger wraps = new AtomicInteger();
    AtomicInteger connections = new AtomicInteger();
    storage = Storage.open(url(), StorageOptions.defaults().withClock(clock).withDataSourceWrapper(pool -> {
      wraps.incrementAndGet();
      return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
          (proxy, method, args) -> {
            if (method.getName().equals("getConnection")) {
              connections.incrementAndGet();
            }
            try {
              return method.invoke(pool, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }));
    storage.workflows().deploy("a", "w", "{}");
    storage.outbox().claimDue(START, LEASE, 1);
    assertThat(wraps).hasValue(1);
    assertThat(connections).hasValue(2);
    assertThat(storage.dataSource()).isInstanceOf(Proxy.class);
  }

  // --- workflows ---

  @Test
  void deployVersionsPerTenantAndKeepsAnIdenticalRedeploy() {
    StoredWorkflow v1 = workflows.deploy("a", "daily_sales", "{\"assets\":[1]}");
    assertThat(v1).isEqualTo(new StoredWorkflow("a", "daily_sales", 1, "{\"assets\":[1]}", START));

    clock.advance(Duration.ofMinutes(1));
    assertThat(workflows.deploy("a", "daily_sales", "{\"assets\":[1]}")).isEqualTo(v1);

    StoredWorkflow v2 = workflows.deploy("a", "daily_sales", "{\"assets\":[2]}");
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.createdAt()).isEqualTo(START.plus(Duration.ofMinutes(1)));
    assertThat(workflows.latest("a", "daily_sales")).contains(v2);
    assertThat(workflows.version("a", "daily_sales", 1)).contains(v1);
    assertThat(workflows.version("a", "daily_sales", 3)).isEmpty();
    assertThat(workflows.latest("a", "other")).isEmpty();

    // Going back to an earlier definition is a new version, not the old one.
    assertThat(workflows.deploy("a", "daily_sales", "{\"assets\":[1]}").version()).isEqualTo(3);

    assertThat(workflows.latest("b", "daily_sales")).isEmpty();
    assertThat(workflows.version("b", "daily_sales", 1)).isEmpty();
    assertThat(workflows.deploy("b", "daily_sales", "{\"assets\":[2]}").version()).isEqualTo(1);
  }

  @Test
  void concurrentDeploysGetDistinctVersions() throws Exception {
    workflows.deploy("a", "w", "{\"n\":0}");
    List<StoredWorkflow> deployed = concurrently(2, i -> workflows.deploy("a", "w", "{\"n\":" + (i + 1) + "}"));
    assertThat(deployed).extracting(StoredWorkflow::version).containsExactlyInAnyOrder(2, 3);
  }

  @Test
  void blankTenantIsRefused() {
    assertThatThrownBy(() -> workflows.latest(" ", "w")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> executions.find(null, "x")).isInstanceOf(NullPointerException.class);
  }

  // --- create and idempotency ---

  @Test
  void createStoresAPendingExecutionAndItsTask() {
    CreatedExecution created = executions.create(
        new NewExecution("e1", "a", "daily_sales", 2, null, "0af7651916cd43dd8448eb211c80319c"), "t1", PAYLOAD);

    Execution expected = new Execution("e1", "a", "daily_sales", 2, ExecutionState.PENDING, null,
        "0af7651916cd43dd8448eb211c80319c", null, 0, START, null, null, null);
    assertThat(created).isEqualTo(new CreatedExecution(expected, true));
    assertThat(executions.find("a", "e1")).contains(expected);
    OutboxTask task = outbox.pendingFor("a", "e1").orElseThrow();
    assertThat(task.taskName()).isEqualTo("t1");
    assertThat(task.payload()).isEqualTo(PAYLOAD);
    assertThat(task.attempts()).isZero();
    assertThat(task.availableAt()).isEqualTo(START);
  }

  @Test
  void idempotencyKeyReturnsTheExistingExecutionWithoutANewTask() {
    CreatedExecution first = executions.create(new NewExecution("e1", "a", "w", 1, "key", null), "t1", PAYLOAD);
    CreatedExecution again = executions.create(new NewExecution("e2", "a", "w", 1, "key", null), "t2", PAYLOAD);

    assertThat(again.created()).isFalse();
    assertThat(again.execution()).isEqualTo(first.execution());
    assertThat(executions.find("a", "e2")).isEmpty();
    assertThat(outbox.claimDue(START, LEASE, 10)).extracting(OutboxTask::taskName).containsExactly("t1");

    // The key is scoped to tenant and workflow; no key never collides.
    assertThat(executions.create(new NewExecution("e3", "a", "other", 1, "key", null), "t3", PAYLOAD).created()).isTrue();
    assertThat(executions.create(new NewExecution("e4", "b", "w", 1, "key", null), "t4", PAYLOAD).created()).isTrue();
    assertThat(executions.create(new NewExecution("e5", "a", "w", 1, null, null), "t5", PAYLOAD).created()).isTrue();
    assertThat(executions.create(new NewExecution("e6", "a", "w", 1, null, null), "t6", PAYLOAD).created()).isTrue();
  }

  @Test
  void concurrentCreatesWithOneKeyMakeOneExecutionAndOneTask() throws Exception {
    int threads = 8;
    List<CreatedExecution> results = concurrently(threads,
        i -> executions.create(new NewExecution("e" + i, "a", "w", 1, "same-key", null), "t" + i, PAYLOAD));

    assertThat(results).filteredOn(CreatedExecution::created).hasSize(1);
    Execution winner = results.stream().filter(CreatedExecution::created).findFirst().orElseThrow().execution();
    assertThat(results).extracting(CreatedExecution::execution).containsOnly(winner);
    List<OutboxTask> tasks = outbox.claimDue(START, LEASE, 100);
    assertThat(tasks).singleElement().extracting(OutboxTask::executionId).isEqualTo(winner.id());
  }

  @Test
  void aDuplicateExecutionIdFailsWithoutQuotingIt() {
    executions.create(new NewExecution("secret-looking-id", "a", "w", 1, null, null), "t1", PAYLOAD);
    assertThatThrownBy(() -> executions.create(new NewExecution("secret-looking-id", "a", "w", 1, null, null), "t2", PAYLOAD))
        .isInstanceOf(StorageException.class)
        .hasMessageStartingWith("creating an execution failed")
        .message().doesNotContain("secret-looking-id");
    assertThat(outbox.claimDue(START, LEASE, 10)).extracting(OutboxTask::taskName).containsExactly("t1");
  }

  // --- transitions ---

  @Test
  void everyLegalTransitionAppliesOnceAndEveryIllegalOneIsRefused() {
    for (ExecutionState from : ExecutionState.values()) {
      for (ExecutionState to : ExecutionState.values()) {
        Execution e = executionIn(from);
        if (from.canTransitionTo(to)) {
          clock.advance(Duration.ofSeconds(1));
          assertThat(executions.transition("a", e.id(), from, to, "why"))
              .as("%s -> %s", from, to).isTrue();
          Execution after = executions.find("a", e.id()).orElseThrow();
          assertThat(after.state()).isEqualTo(to);
          assertThat(after.error()).isEqualTo("why");
          assertThat(after.endedAt()).isEqualTo(to.isEnded() ? clock.instant() : null);
          assertThat(after.leaseUntil()).isNull();
          // Applied once: the row is no longer in `from`.
          assertThat(executions.transition("a", e.id(), from, to, null)).as("%s -> %s again", from, to).isFalse();
        } else {
          assertThatThrownBy(() -> executions.transition("a", e.id(), from, to, null))
              .as("%s -> %s", from, to)
              .isInstanceOf(IllegalArgumentException.class);
          assertThat(executions.find("a", e.id()).orElseThrow().state()).isEqualTo(from);
        }
      }
    }
  }

  @Test
  void aTransitionFromTheWrongStateChangesNothing() {
    Execution e = executionIn(ExecutionState.SUCCEEDED);
    assertThat(executions.transition("a", e.id(), ExecutionState.RUNNING, ExecutionState.FAILED, "late")).isFalse();
    assertThat(executions.find("a", e.id())).contains(e);
    assertThat(executions.transition("a", "missing", ExecutionState.PENDING, ExecutionState.CANCELLED, null)).isFalse();
  }

  // --- claim, lease, fencing ---

  @Test
  void claimTakesAPendingExecutionOnce() {
    Execution e = create("a");
    clock.advance(Duration.ofSeconds(5));
    Instant claimedAt = clock.instant();

    Execution running = executions.claim("a", e.id(), LEASE).orElseThrow();
    assertThat(running.state()).isEqualTo(ExecutionState.RUNNING);
    assertThat(running.attempt()).isEqualTo(1);
    assertThat(running.startedAt()).isEqualTo(claimedAt);
    assertThat(running.leaseUntil()).isEqualTo(claimedAt.plus(LEASE));
    assertThat(executions.find("a", e.id())).contains(running);

    assertThat(executions.claim("a", e.id(), LEASE)).isEmpty();
    clock.advance(LEASE); // lease_until == now: not yet expired
    assertThat(executions.claim("a", e.id(), LEASE)).isEmpty();
    assertThat(executions.claim("a", "missing", LEASE)).isEmpty();
  }

  // --- the open spans of an attempt ---

  private AssetResult running(Execution e, String asset, int attempt) {
    return new AssetResult(e.id(), asset, "sql", AssetStatus.RUNNING, attempt, clock.instant(), null, null, null);
  }

  @Test
  void aClaimThatTakesOverAnExpiredLeaseGetsTheLostAttemptsOpenSpansOnce() {
    Execution e = create("a");
    Claim first = executions.claim("a", e.id(), LEASE, "attempt-1 spans").orElseThrow();
    assertThat(first.lostAttempt()).isEmpty();
    int attempt = first.execution().attempt();
    assertThat(executions.recordAssetResult("a", running(e, "raw_orders", attempt), "raw spans")).isTrue();
    assertThat(executions.recordAssetResult("a", new AssetResult(e.id(), "raw_orders", "sql",
        AssetStatus.SUCCEEDED, attempt, clock.instant(), clock.instant(), "1 row", null), "ignored")).isTrue();
    assertThat(executions.recordAssetResult("a", running(e, "cleaned", attempt), "cleaned spans")).isTrue();
    Instant leaseUntil = first.execution().leaseUntil();
    clock.advance(LEASE.plusMillis(1));

    Claim second = executions.claim("a", e.id(), LEASE, "attempt-2 spans").orElseThrow();

    // The succeeded asset ended its span itself: only the running one is handed over.
    assertThat(second.lostAttempt()).contains(
        new LostAttempt(attempt, leaseUntil, List.of("attempt-1 spans", "cleaned spans")));
    clock.advance(LEASE.plusMillis(1));
    Claim third = executions.claim("a", e.id(), LEASE, null).orElseThrow();
    assertThat(third.lostAttempt()).map(LostAttempt::openSpans).contains(List.of("attempt-2 spans"));
    clock.advance(LEASE.plusMillis(1));
    assertThat(executions.claim("a", e.id(), LEASE, null).orElseThrow().lostAttempt())
        .as("an attempt that recorded nothing (not traced) hands nothing over").isEmpty();
  }

  @Test
  void anAttemptThatGaveItsClaimBackOrFinishedLeavesNoOpenSpans() {
    Execution e = create("a");
    int attempt = executions.claim("a", e.id(), LEASE, "spans").orElseThrow().execution().attempt();
    assertThat(executions.releaseLease("a", e.id(), attempt)).isTrue();
    Claim resumed = executions.claim("a", e.id(), LEASE, "spans").orElseThrow();
    assertThat(resumed.lostAttempt()).isEmpty();

    assertThat(executions.finish("a", e.id(), resumed.execution().attempt(), ExecutionState.SUCCEEDED, null)).isTrue();
    assertThat(executions.claim("a", e.id(), LEASE, "spans")).isEmpty();
  }

  @Test
  void theSweeperTakesAnExpiredAttemptsOpenSpansInsteadOfTheNextClaim() {
    Execution e = create("a");
    Claim first = executions.claim("a", e.id(), LEASE, "attempt-1 spans").orElseThrow();
    int attempt = first.execution().attempt();
    assertThat(executions.recordAssetResult("a", running(e, "raw_orders", attempt), "raw spans")).isTrue();
    assertThat(executions.takeLostAttempt("a", e.id(), attempt)).as("the lease is live").isEmpty();
    clock.advance(LEASE.plusMillis(1));
    assertThat(executions.takeLostAttempt("a", e.id(), attempt + 1)).as("not that attempt").isEmpty();
    assertThat(executions.takeLostAttempt("b", e.id(), attempt)).as("another tenant").isEmpty();

    LostAttempt lost = executions.takeLostAttempt("a", e.id(), attempt).orElseThrow();

    assertThat(lost).isEqualTo(new LostAttempt(attempt, first.execution().leaseUntil(),
        List.of("attempt-1 spans", "raw spans")));
    assertThat(lost.description()).isEqualTo(
        "worker lost; lease expired at " + first.execution().leaseUntil() + "; attempt 1 was taken over");
    assertThat(executions.takeLostAttempt("a", e.id(), attempt)).as("taken once").isEmpty();
    Claim next = executions.claim("a", e.id(), LEASE, null).orElseThrow();
    assertThat(next.lostAttempt()).as("the claim finds nothing left to end").isEmpty();
  }

  @Test
  void twoClaimsRacingForAnExpiredLeaseHandTheLostSpansToOneOfThem() throws Exception {
    Execution e = create("a");
    executions.claim("a", e.id(), LEASE, "lost spans").orElseThrow();
    clock.advance(LEASE.plusMillis(1));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<java.util.Optional<Claim>>> claims = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        claims.add(pool.submit(() -> {
          go.await();
          return executions.claim("a", e.id(), LEASE, "taker spans");
        }));
      }
      go.countDown();
      List<LostAttempt> handedOver = new ArrayList<>();
      for (Future<java.util.Optional<Claim>> claim : claims) {
        claim.get(30, TimeUnit.SECONDS).flatMap(Claim::lostAttempt).ifPresent(handedOver::add);
      }
      assertThat(handedOver).extracting(LostAttempt::openSpans).containsExactly(List.of("lost spans"));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anExpiredLeaseIsTakenOverAndTheOldAttemptIsFencedOff() {
    Execution e = create("a");
    Execution first = executions.claim("a", e.id(), LEASE).orElseThrow();
    clock.advance(LEASE.plusMillis(1));

    Execution second = executions.claim("a", e.id(), LEASE).orElseThrow();
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.startedAt()).isEqualTo(first.startedAt());
    assertThat(second.leaseUntil()).isEqualTo(clock.instant().plus(LEASE));

    assertThat(executions.renewLease("a", e.id(), first.attempt(), LEASE)).isFalse();
    assertThat(executions.releaseLease("a", e.id(), first.attempt())).isFalse();
    assertThat(executions.finish("a", e.id(), first.attempt(), ExecutionState.FAILED, "stale")).isFalse();
    assertThat(executions.find("a", e.id())).contains(second);

    clock.advance(Duration.ofSeconds(3));
    assertThat(executions.finish("a", e.id(), second.attempt(), ExecutionState.SUCCEEDED, null)).isTrue();
    Execution done = executions.find("a", e.id()).orElseThrow();
    assertThat(done.state()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(done.endedAt()).isEqualTo(clock.instant());
    assertThat(done.leaseUntil()).isNull();
    assertThat(executions.finish("a", e.id(), second.attempt(), ExecutionState.FAILED, null)).isFalse();
    assertThat(executions.claim("a", e.id(), LEASE)).isEmpty();
  }

  @Test
  void renewingKeepsTheClaim() {
    Execution e = create("a");
    Execution running = executions.claim("a", e.id(), LEASE).orElseThrow();
    clock.advance(Duration.ofSeconds(20));
    assertThat(executions.renewLease("a", e.id(), running.attempt(), LEASE)).isTrue();
    assertThat(executions.find("a", e.id()).orElseThrow().leaseUntil()).isEqualTo(clock.instant().plus(LEASE));
    clock.advance(Duration.ofSeconds(20)); // past the first lease, inside the renewed one
    assertThat(executions.claim("a", e.id(), LEASE)).isEmpty();
    assertThat(executions.expiredLeases(clock.instant(), 10)).isEmpty();
  }

  @Test
  void aReleasedClaimCanBeTakenAtOnce() {
    Execution e = create("a");
    Execution running = executions.claim("a", e.id(), LEASE).orElseThrow();
    assertThat(executions.releaseLease("a", e.id(), running.attempt())).isTrue();
    Execution released = executions.find("a", e.id()).orElseThrow();
    assertThat(released.state()).isEqualTo(ExecutionState.RUNNING);
    assertThat(released.leaseUntil()).isNull();

    assertThat(executions.claim("a", e.id(), LEASE).orElseThrow().attempt()).isEqualTo(2);
  }

  @Test
  void aRetriedExecutionIsClaimedAgain() {
    Execution failed = executionIn(ExecutionState.FAILED);
    assertThat(executions.transition("a", failed.id(), ExecutionState.FAILED, ExecutionState.RUNNING, null)).isTrue();
    Execution again = executions.claim("a", failed.id(), LEASE).orElseThrow();
    assertThat(again.attempt()).isEqualTo(2);
    assertThat(again.endedAt()).isNull();
    assertThat(again.error()).isNull();
  }

  @Test
  void finishOnlyEndsAnExecution() {
    Execution e = executionIn(ExecutionState.RUNNING);
    assertThatThrownBy(() -> executions.finish("a", e.id(), e.attempt(), ExecutionState.PENDING, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> executions.claim("a", e.id(), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    for (ExecutionState end : List.of(ExecutionState.FAILED, ExecutionState.TIMEOUT, ExecutionState.CANCELLED)) {
      Execution running = executionIn(ExecutionState.RUNNING);
      assertThat(executions.finish("a", running.id(), running.attempt(), end, "e")).isTrue();
      assertThat(executions.find("a", running.id()).orElseThrow())
          .extracting(Execution::state, Execution::error).containsExactly(end, "e");
    }
  }

  @Test
  void expiredLeasesSpanTenantsOldestFirstAndRespectTheLimit() {
    Execution a = create("a");
    Execution b = create("b");
    Execution live = create("a");
    Execution pending = create("b");
    executions.claim("a", a.id(), LEASE);
    clock.advance(Duration.ofSeconds(1));
    executions.claim("b", b.id(), LEASE);
    clock.advance(Duration.ofSeconds(10));
    executions.claim("a", live.id(), LEASE);
    clock.advance(Duration.ofSeconds(25));

    assertThat(executions.expiredLeases(clock.instant(), 10)).extracting(Execution::id).containsExactly(a.id(), b.id());
    assertThat(executions.expiredLeases(clock.instant(), 1)).extracting(Execution::id).containsExactly(a.id());
    assertThat(pending.state()).isEqualTo(ExecutionState.PENDING);
  }

  @Test
  void pendingExecutionsWhoseTaskLeftTheOutboxAreFoundAcrossTenants() {
    Execution lost = create("a");
    Execution inOutbox = create("b");
    Execution claimed = create("b");
    executions.claim("b", claimed.id(), LEASE);
    for (OutboxTask t : storage.outbox().claimDue(clock.instant(), LEASE, 10)) {
      if (!t.executionId().equals(inOutbox.id())) {
        storage.outbox().markDispatched(t.id());
      }
    }
    clock.advance(Duration.ofMinutes(10));

    assertThat(executions.pendingWithoutTask(clock.instant(), 10)).extracting(Execution::id).containsExactly(lost.id());
    assertThat(executions.pendingWithoutTask(lost.createdAt(), 10)).as("created before").isEmpty();
  }

  // --- asset results ---

  @Test
  void assetResultsAreUpsertedAndListedInStartOrder() {
    Execution e = executionIn(ExecutionState.RUNNING);
    Instant t0 = clock.instant();
    AssetResult cleanedRunning = new AssetResult(e.id(), "cleaned", "command", AssetStatus.RUNNING, 1, t0.plusSeconds(2), null, null, null);
    AssetResult raw = new AssetResult(e.id(), "raw", "sql", AssetStatus.SUCCEEDED, 1, t0, t0.plusSeconds(1), "rows=3", null);
    AssetResult notify = new AssetResult(e.id(), "notify", "http", AssetStatus.SKIPPED, 1, null, null, null, "cleaned failed");
    executions.recordAssetResult("a", notify);
    executions.recordAssetResult("a", cleanedRunning);
    executions.recordAssetResult("a", raw);
    AssetResult cleanedFailed = new AssetResult(e.id(), "cleaned", "command", AssetStatus.FAILED, 1, t0.plusSeconds(2), t0.plusSeconds(3), "exit 1", "boom");
    executions.recordAssetResult("a", cleanedFailed);

    assertThat(executions.assetResults("a", e.id())).containsExactly(raw, cleanedFailed, notify);
    assertThat(executions.assetResults("a", "missing")).isEmpty();
  }

  @Test
  void anAssetResultNeedsAnExecutionOfTheTenant() {
    Execution e = executionIn(ExecutionState.RUNNING);
    AssetResult result = new AssetResult(e.id(), "raw", "sql", AssetStatus.RUNNING, 1, clock.instant(), null, null, null);
    executions.recordAssetResult("a", result);
    AssetResult hijack = new AssetResult(e.id(), "raw", "sql", AssetStatus.SUCCEEDED, 1, clock.instant(), null, "x", null);
    assertThatThrownBy(() -> executions.recordAssetResult("b", hijack)).isInstanceOf(IllegalArgumentException.class);
    AssetResult other = new AssetResult(e.id(), "other", "sql", AssetStatus.SUCCEEDED, 1, clock.instant(), null, "x", null);
    assertThatThrownBy(() -> executions.recordAssetResult("b", other)).isInstanceOf(IllegalArgumentException.class);
    assertThat(executions.assetResults("a", e.id())).containsExactly(result);
    assertThat(executions.assetResults("b", e.id())).isEmpty();
  }

  @Test
  void aWorkerWhoseClaimWasTakenOverCannotWriteAnAssetResult() {
    Execution e = create("a");
    Execution first = executions.claim("a", e.id(), LEASE).orElseThrow();
    Instant t0 = clock.instant();
    assertThat(executions.recordAssetResult("a",
        new AssetResult(e.id(), "raw", "sql", AssetStatus.RUNNING, first.attempt(), t0, null, null, null))).isTrue();

    // The first worker stalls past its lease; a redelivery takes the execution over and runs "raw".
    clock.advance(LEASE.plusSeconds(1));
    Execution second = executions.claim("a", e.id(), LEASE).orElseThrow();
    assertThat(second.attempt()).isEqualTo(first.attempt() + 1);
    AssetResult current = new AssetResult(e.id(), "raw", "sql", AssetStatus.SUCCEEDED, second.attempt(),
        clock.instant(), clock.instant().plusSeconds(1), "rows=3", null);
    assertThat(executions.recordAssetResult("a", current)).isTrue();

    // The first worker wakes up: its results, for that asset or any other, are refused.
    AssetResult stale = new AssetResult(e.id(), "raw", "sql", AssetStatus.FAILED, first.attempt(),
        t0, clock.instant().plusSeconds(2), null, "late failure");
    assertThat(executions.recordAssetResult("a", stale)).isFalse();
    assertThat(executions.recordAssetResult("a",
        new AssetResult(e.id(), "notify", "http", AssetStatus.RUNNING, first.attempt(), clock.instant(), null, null, null)))
        .isFalse();
    assertThat(executions.assetResults("a", e.id())).containsExactly(current);

    // Once the execution ended, not even the attempt that ended it writes a result.
    assertThat(executions.finish("a", e.id(), second.attempt(), ExecutionState.SUCCEEDED, null)).isTrue();
    assertThat(executions.recordAssetResult("a", new AssetResult(e.id(), "raw", "sql", AssetStatus.FAILED,
        second.attempt(), clock.instant(), clock.instant(), null, "after the end"))).isFalse();
    assertThat(executions.assetResults("a", e.id())).containsExactly(current);
  }

  @Test
  void aPendingExecutionTakesNoAssetResult() {
    Execution e = create("a");
    assertThat(executions.recordAssetResult("a",
        new AssetResult(e.id(), "raw", "sql", AssetStatus.RUNNING, 1, START, null, null, null))).isFalse();
    assertThat(executions.assetResults("a", e.id())).isEmpty();
  }

  // --- outbox ---

  @Test
  void outboxClaimFailAndDispatch() {
    Execution e = create("a");
    OutboxTask task = outbox.claimDue(START, LEASE, 10).get(0);
    assertThat(task.executionId()).isEqualTo(e.id());
    assertThat(task.tenant()).isEqualTo("a");
    assertThat(task.attempts()).isEqualTo(1);
    assertThat(task.availableAt()).isEqualTo(START.plus(LEASE));
    assertThat(outbox.claimDue(START, LEASE, 10)).isEmpty();

    // The relay died mid-hand-over: once the lease passes the task is due again.
    clock.advance(LEASE);
    assertThat(outbox.claimDue(clock.instant(), LEASE, 10)).extracting(OutboxTask::attempts).containsExactly(2);

    Instant retryAt = clock.instant().plusSeconds(60);
    outbox.markFailed(task.id(), "queue said no", retryAt);
    OutboxTask failed = outbox.pendingFor("a", e.id()).orElseThrow();
    assertThat(failed.lastError()).isEqualTo("queue said no");
    assertThat(failed.availableAt()).isEqualTo(retryAt);
    assertThat(outbox.claimDue(retryAt.minusMillis(1), LEASE, 10)).isEmpty();
    assertThat(outbox.claimDue(retryAt, LEASE, 10)).extracting(OutboxTask::id).containsExactly(task.id());

    outbox.markDispatched(task.id());
    assertThat(outbox.pendingFor("a", e.id())).isEmpty();
    assertThat(outbox.claimDue(retryAt.plusSeconds(3600), LEASE, 10)).isEmpty();
    outbox.markDispatched(task.id()); // already gone: nothing to do
  }

  @Test
  void claimDueHonoursTheLimitInOrder() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(create(i % 2 == 0 ? "a" : "b").id());
    }
    assertThat(outbox.claimDue(START, LEASE, 3)).extracting(OutboxTask::executionId).containsExactlyElementsOf(created.subList(0, 3));
    assertThat(outbox.claimDue(START, LEASE, 3)).extracting(OutboxTask::executionId).containsExactlyElementsOf(created.subList(3, 5));
  }

  @Test
  void addQueuesAnotherTaskForAnExecutionOfTheTenant() {
    Execution e = create("a");
    outbox.markDispatched(outbox.pendingFor("a", e.id()).orElseThrow().id());

    outbox.add("a", e.id(), "retry-1", PAYLOAD);
    outbox.add("a", e.id(), "retry-1", PAYLOAD); // same name: nothing new
    assertThat(outbox.claimDue(START, LEASE, 10)).extracting(OutboxTask::taskName).containsExactly("retry-1");

    assertThatThrownBy(() -> outbox.add("b", e.id(), "retry-2", PAYLOAD)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> outbox.add("a", "missing", "retry-3", PAYLOAD)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void concurrentClaimsNeverHandOutATaskTwice() throws Exception {
    int tasks = 60;
    for (int i = 0; i < tasks; i++) {
      create(i % 2 == 0 ? "a" : "b");
    }
    ConcurrentLinkedQueue<Long> claimed = new ConcurrentLinkedQueue<>();
    concurrently(6, i -> {
      List<OutboxTask> batch;
      do {
        batch = outbox.claimDue(START, LEASE, 4);
        batch.forEach(t -> claimed.add(t.id()));
      } while (!batch.isEmpty());
      return null;
    });
    assertThat(claimed).hasSize(tasks).doesNotHaveDuplicates();
  }

  // --- tenant isolation ---

  @Test
  void anotherTenantCanNeitherSeeNorChangeAnExecution() {
    Execution e = create("a", "key");
    workflows.deploy("a", "daily_sales", "{}");

    assertThat(executions.find("b", e.id())).isEmpty();
    assertThat(executions.transition("b", e.id(), ExecutionState.PENDING, ExecutionState.CANCELLED, null)).isFalse();
    assertThat(executions.claim("b", e.id(), LEASE)).isEmpty();
    assertThat(executions.assetResults("b", e.id())).isEmpty();
    assertThat(outbox.pendingFor("b", e.id())).isEmpty();
    assertThat(workflows.latest("b", "daily_sales")).isEmpty();
    assertThat(workflows.version("b", "daily_sales", 1)).isEmpty();
    // Same key, other tenant: a new execution, not a's.
    assertThat(executions.create(new NewExecution("b1", "b", "daily_sales", 1, "key", null), "tb1", PAYLOAD).created()).isTrue();

    Execution running = executions.claim("a", e.id(), LEASE).orElseThrow();
    AssetResult result = new AssetResult(e.id(), "raw", "sql", AssetStatus.RUNNING, running.attempt(), START, null, null, null);
    assertThat(executions.recordAssetResult("a", result)).isTrue();
    assertThat(executions.assetResults("b", e.id())).isEmpty();
    assertThat(executions.renewLease("b", e.id(), running.attempt(), LEASE)).isFalse();
    assertThat(executions.releaseLease("b", e.id(), running.attempt())).isFalse();
    assertThat(executions.finish("b", e.id(), running.attempt(), ExecutionState.FAILED, null)).isFalse();
    assertThat(executions.find("a", e.id())).contains(running);
    assertThat(executions.assetResults("a", e.id())).containsExactly(result);
  }

  @Test
  void inTenantCommitsOrRollsBackAsOneTransaction() {
    Execution e = create("a");
    String update = "UPDATE " + table("executions") + " SET error = ? WHERE tenant_id = ? AND id = ?";
    assertThatThrownBy(() -> storage.inTenant("a", c -> {
      try (PreparedStatement s = c.prepareStatement(update)) {
        s.setString(1, "rolled back");
        s.setString(2, "a");
        s.setString(3, e.id());
        s.executeUpdate();
      }
      throw new IllegalStateException("abort");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(executions.find("a", e.id()).orElseThrow().error()).isNull();

    int updated = storage.inTenant("a", c -> {
      try (PreparedStatement s = c.prepareStatement(update)) {
        s.setString(1, "kept");
        s.setString(2, "a");
        s.setString(3, e.id());
        return s.executeUpdate();
      }
    });
    assertThat(updated).isEqualTo(1);
    assertThat(executions.find("a", e.id()).orElseThrow().error()).isEqualTo("kept");
  }

  @Test
  void aFailedStatementBecomesAStorageExceptionNamingTheAction() {
    assertThatThrownBy(() -> storage.inTenant("a", c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT no_such_column FROM " + table("executions"))) {
        return s.executeQuery().next();
      }
    })).isInstanceOf(StorageException.class).hasMessageStartingWith("tenant work failed");
  }

  List<String> idsVisibleInTenant(String tenant) {
    return storage.inTenant(tenant, c -> {
      List<String> ids = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT id FROM " + table("executions") + " ORDER BY id");
          ResultSet r = s.executeQuery()) {
        while (r.next()) {
          ids.add(r.getString(1));
        }
      }
      return ids;
    });
  }

  interface IndexedCall<T> {
    T call(int index) throws Exception;
  }

  /** Runs {@code n} calls at once (released together) and returns their results. */
  static <T> List<T> concurrently(int n, IndexedCall<T> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<T> task = () -> {
          start.await();
          return call.call(index);
        };
        futures.add(pool.submit(task));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
