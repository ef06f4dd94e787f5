package io.servo.orchestrator.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.json.Json;
import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.testing.ApiClient.Response;
import io.servo.orchestrator.testing.RecordingWorker.Received;
import io.servo.orchestrator.testing.TestOrchestrator;
import io.servo.storage.NewExecution;
import io.servo.storage.OutboxTask;
import io.servo.storage.StoredWorkflow;
import io.servo.testing.logs.CapturedLogs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxRelayTest {
  private static final String WORKFLOW = """
      workflow: nightly
      assets:
        - {name: load, kind: sql, sql: SELECT 1}
      """;

  @TempDir Path dir;
  private TestOrchestrator orchestrator;

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = TestOrchestrator.prepare(dir);
  }

  @AfterEach
  void tearDown() {
    orchestrator.close();
  }

  /** Refuses the first {@code failures} enqueues, then passes tasks on to the real queue. */
  private static final class RefusingQueue implements TaskQueue {
    private final TaskQueue delegate;
    private final int failures;
    private final boolean retryable;
    final AtomicInteger calls = new AtomicInteger();

    RefusingQueue(TaskQueue delegate, int failures, boolean retryable) {
      this.delegate = delegate;
      this.failures = failures;
      this.retryable = retryable;
    }

    @Override
    public void enqueue(QueuedTask task) throws QueueException {
      if (calls.incrementAndGet() <= failures) {
        throw new QueueException(retryable ? "queue unavailable (test)" : "queue does not exist (test)",
            retryable, null);
      }
      delegate.enqueue(task);
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** "The orchestrator stopped after commit, before enqueue": a committed execution whose task no relay has seen. */
  @Test
  void aTaskCommittedBeforeACrashIsDeliveredByTheNextOrchestrator() throws Exception {
    String id = commitExecutionWithoutRelay();
    OutboxTask pending = orchestrator.storage.outbox().pendingFor("a", id).orElseThrow();
    byte[] committed = pending.payload();
    assertThat(pending.taskName()).isEqualTo("exec-" + id + "-1");
    assertThat(orchestrator.worker.received()).isEmpty(); // no relay runs yet

    orchestrator.startServer(UnaryOperator.identity());

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    Received task = orchestrator.worker.received().get(0);
    assertThat(task.body()).isEqualTo(committed);
    assertThat(task.header("X-CloudTasks-TaskName")).isEqualTo("exec-" + id + "-1");
    assertThat(TaskSignature.create(TestOrchestrator.SECRET).verify(task::header, task.body())).isNull();
    await().atMost(Duration.ofSeconds(5))
        .until(() -> orchestrator.storage.outbox().pendingFor("a", id).isEmpty());
  }

  @Test
  void keepsGoingAfterRetryableRefusals() throws Exception {
    RefusingQueue[] queue = new RefusingQueue[1];
    orchestrator.startServer(b -> b.queueDecorator(q -> queue[0] = new RefusingQueue(q, 2, true)));
    orchestrator.api().put("/v1/workflows/nightly", "tokA", WORKFLOW);

    Response r = orchestrator.api().post("/v1/workflows/nightly/executions", "tokA", null);

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().has("enqueue_error")).isFalse(); // retryable: the relay keeps it
    String id = r.json().get("execution_id").asText();
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    assertThat(queue[0].calls.get()).isEqualTo(3);
    // The relay marks the task handed over once the queue's enqueue returned, after the delivery.
    await().atMost(Duration.ofSeconds(5)).until(() -> orchestrator.storage.outbox().pendingFor("a", id).isEmpty());
    assertThat(TaskPayloadCodec.decode(orchestrator.worker.received().get(0).body()).executionId()).isEqualTo(id);
  }

  @Test
  void reportsANonRetryableRefusalAndKeepsTheTask() throws Exception {
    orchestrator.startServer(b -> b.queueDecorator(q -> new RefusingQueue(q, 1, false))
        .relay(r -> r.pollInterval(Duration.ofMillis(50)).minRetryDelay(Duration.ofSeconds(2))
            .maxRetryDelay(Duration.ofSeconds(2))));
    orchestrator.api().put("/v1/workflows/nightly", "tokA", WORKFLOW);

    Response r = orchestrator.api().post("/v1/workflows/nightly/executions", "tokA", null);

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().get("enqueue_error").asText()).isEqualTo("queue does not exist (test)");
    String id = r.json().get("execution_id").asText();
    OutboxTask kept = orchestrator.storage.outbox().pendingFor("a", id).orElseThrow();
    assertThat(kept.lastError()).isEqualTo("queue does not exist (test)");
    assertThat(orchestrator.worker.received()).isEmpty();

    // Once the queue is fixed, the relay hands the kept task over.
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    // The relay marks the task handed over once the queue's enqueue returned, after the delivery.
    await().atMost(Duration.ofSeconds(5)).until(() -> orchestrator.storage.outbox().pendingFor("a", id).isEmpty());
  }

  @Test
  void resumesAfterADatabaseError() throws Exception {
    String id = commitExecutionWithoutRelay();
    String outboxTable = outboxTable();
    sql("ALTER TABLE " + outboxTable + " RENAME TO servo_test_outbox_away");

    try (CapturedLogs logs = CapturedLogs.of(OutboxRelay.class)) {
      orchestrator.startServer(UnaryOperator.identity());
      await().atMost(Duration.ofSeconds(10))
          .until(() -> logs.containing("outbox relay: database error, retrying").size() >= 2);
    }
    assertThat(orchestrator.worker.received()).isEmpty();
    sql("ALTER TABLE servo_test_outbox_away RENAME TO " + outboxTable);

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    assertThat(TaskPayloadCodec.decode(orchestrator.worker.received().get(0).body()).executionId()).isEqualTo(id);
  }

  /**
   * The relay takes a just-committed task on its own poll while the API is about to wait for it:
   * the API must learn that it was handed over, not wait out its whole timeout. Before the fix the
   * relay told waiters before it removed the task from the outbox, so an API thread that started
   * waiting in between saw the task still there and waited the full timeout.
   */
  @Test
  void anApiWaitingWhileTheRelayTookTheTaskOnItsOwnPollLearnsAtOnce() throws Exception {
    String id = commitExecutionWithoutRelay();
    java.util.concurrent.CountDownLatch apiLooked = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch handedOver = new java.util.concurrent.CountDownLatch(1);
    io.servo.storage.OutboxStore real = orchestrator.storage.outbox();
    io.servo.storage.OutboxStore outbox = new io.servo.storage.OutboxStore() {
      @Override
      public java.util.List<OutboxTask> claimDue(Instant now, Duration lease, int limit) {
        return real.claimDue(now, lease, limit);
      }

      @Override
      public void markDispatched(long taskId) {
        handedOver.countDown();
        try {
          // Hold the removal until the API has looked at the outbox.
          apiLooked.await(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        real.markDispatched(taskId);
      }

      @Override
      public void markFailed(long taskId, String error, Instant retryAt) {
        real.markFailed(taskId, error, retryAt);
      }

      @Override
      public java.util.Optional<OutboxTask> pendingFor(String tenant, String executionId) {
        java.util.Optional<OutboxTask> found = real.pendingFor(tenant, executionId);
        apiLooked.countDown();
        return found;
      }

      @Override
      public void add(String tenant, String executionId, String taskName, byte[] payload) {
        real.add(tenant, executionId, taskName, payload);
      }
    };
    List<String> enqueued = new java.util.concurrent.CopyOnWriteArrayList<>();
    TaskQueue queue = new TaskQueue() {
      @Override
      public void enqueue(QueuedTask task) {
        enqueued.add(task.name());
      }

      @Override
      public String name() {
        return "recording";
      }
    };
    try (OutboxRelay relay = OutboxRelay.builder(outbox, queue, TaskSignature.create(TestOrchestrator.SECRET))
        .pollInterval(Duration.ofMillis(20))
        .build()) {
      relay.start();
      assertThat(handedOver.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

      long t0 = System.nanoTime();
      HandOverOutcome outcome = relay.handOverNow("a", id, "exec-" + id + "-1", Duration.ofSeconds(4));
      Duration waited = Duration.ofNanos(System.nanoTime() - t0);

      assertThat(outcome.status()).isEqualTo(HandOverOutcome.Status.DISPATCHED);
      assertThat(waited).as("the API learns of the hand-over at once").isLessThan(Duration.ofSeconds(2));
      assertThat(enqueued).containsExactly("exec-" + id + "-1");
    }
  }

  /**
   * Two orchestrators share one outbox and the queue is slow: a relay whose batch outlasts its claim
   * stops handing over, so the tasks the other relay claimed meanwhile reach the queue once each.
   */
  @Test
  void slowHandOversDoNotOutliveTheClaimWhenTwoRelaysShareTheOutbox() throws Exception {
    int tasks = 8;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      ids.add(commitExecutionWithoutRelay());
    }
    List<String> enqueued = Collections.synchronizedList(new ArrayList<>());
    TaskQueue slow = new TaskQueue() {
      @Override
      public void enqueue(QueuedTask task) {
        enqueued.add(task.name());
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public String name() {
        return "slow";
      }
    };
    TaskSignature signature = TaskSignature.create(TestOrchestrator.SECRET);
    try (OutboxRelay first = relay(slow, signature); OutboxRelay second = relay(slow, signature)) {
      first.start();
      Thread.sleep(50); // the first claims every task; the second claims what the first's claim lets go
      second.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream()
          .allMatch(id -> orchestrator.storage.outbox().pendingFor("a", id).isEmpty()));
    } // close() waits for the relays' threads: no hand-over is in flight after this
    assertThat(enqueued).hasSize(tasks).doesNotHaveDuplicates();
  }

  private OutboxRelay relay(TaskQueue queue, TaskSignature signature) {
    return OutboxRelay.builder(orchestrator.storage.outbox(), queue, signature)
        .pollInterval(Duration.ofMillis(20))
        .claimLease(Duration.ofMillis(600))
        .build();
  }

  private String commitExecutionWithoutRelay() throws Exception {
    StoredWorkflow wf = orchestrator.storage.workflows().deploy("a", "nightly",
        "{\"workflow\":\"nightly\",\"tenant\":\"a\",\"assets\":[{\"name\":\"load\",\"kind\":\"sql\","
            + "\"timeout\":\"10m\",\"sql\":\"SELECT 1\"}]}");
    String id = UUID.randomUUID().toString();
    byte[] payload = TaskPayloadCodec.encode(new TaskPayload(TaskPayload.CURRENT_VERSION, id, "a", "nightly",
        wf.version(), Json.mapper().readTree(wf.definitionJson()), Instant.now(), TraceMetadata.EMPTY));
    orchestrator.storage.executions().create(
        new NewExecution(id, "a", "nightly", wf.version(), null, null), "exec-" + id + "-1", payload);
    return id;
  }

  private String outboxTable() throws Exception {
    try (Connection c = orchestrator.storage.dataSource().getConnection();
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%outbox%'")) {
      assertThat(rs.next()).as("an outbox table").isTrue();
      return rs.getString(1);
    }
  }

  private void sql(String statement) throws Exception {
    try (Connection c = orchestrator.storage.dataSource().getConnection()) {
      c.createStatement().execute(statement);
    }
  }
}
