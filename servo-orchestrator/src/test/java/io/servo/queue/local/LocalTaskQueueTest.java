package io.servo.queue.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskHeaders;
import io.servo.orchestrator.testing.RecordingWorker;
import io.servo.orchestrator.testing.RecordingWorker.Received;
import io.servo.testing.logs.CapturedLogs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalTaskQueueTest {
  private RecordingWorker worker;
  private LocalTaskQueue queue;

  @BeforeEach
  void setUp() throws Exception {
    worker = RecordingWorker.start();
    queue = LocalTaskQueue.builder(worker.url())
        .queueName("servo-test")
        .minBackoff(Duration.ofMillis(10))
        .maxBackoff(Duration.ofMillis(50))
        .maxAttempts(4)
        .build();
  }

  @AfterEach
  void tearDown() {
    queue.close();
    worker.close();
  }

  private static QueuedTask task(String name) {
    byte[] body = ("{\"task\":\"" + name + "\",\"bytes\":\"\\u00e9 é\"}").getBytes(StandardCharsets.UTF_8);
    return new QueuedTask(name, body, Map.of("X-Servo-Signature", "v1=abc", "Content-Type", "application/json"));
  }

  @Test
  void deliversBodyAndHeadersAsCloudTasksDoes() throws Exception {
    QueuedTask task = task("exec-1-1");
    Instant before = Instant.now();

    queue.enqueue(task);

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 1);
    Received r = worker.received().get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/execute");
    assertThat(r.body()).isEqualTo(task.body());
    assertThat(r.header("X-Servo-Signature")).isEqualTo("v1=abc");
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(r.header("User-Agent")).isEqualTo("Google-Cloud-Tasks");
    assertThat(r.header(TaskHeaders.QUEUE_NAME)).isEqualTo("servo-test");
    assertThat(r.header(TaskHeaders.TASK_NAME)).isEqualTo("exec-1-1");
    assertThat(r.header(TaskHeaders.RETRY_COUNT)).isEqualTo("0");
    assertThat(r.header(TaskHeaders.EXECUTION_COUNT)).isEqualTo("0");
    assertThat(r.header(TaskHeaders.ETA)).matches("\\d+\\.\\d{6}");
    double eta = Double.parseDouble(r.header(TaskHeaders.ETA));
    assertThat(eta).isBetween(before.getEpochSecond() - 1.0, Instant.now().getEpochSecond() + 1.0);
    assertThat(queue.name()).isEqualTo("servo-test");
  }

  @Test
  void retries503UntilTheWorkerAccepts() throws Exception {
    worker.answer(503, 503);

    try (CapturedLogs logs = CapturedLogs.of(LocalTaskQueue.class, Level.DEBUG)) {
      queue.enqueue(task("exec-2-1"));

      // Once the queue counts the task delivered it sends it no more.
      await().atMost(Duration.ofSeconds(5)).until(() -> logs.hasLineWith("task exec-2-1 delivered"));
    }
    List<Received> got = worker.received();
    assertThat(got).hasSize(3);
    assertThat(got).extracting(r -> r.header(TaskHeaders.RETRY_COUNT)).containsExactly("0", "1", "2");
    assertThat(got).extracting(r -> r.header(TaskHeaders.EXECUTION_COUNT)).containsExactly("0", "1", "2");
    assertThat(got.get(2).header(TaskHeaders.PREVIOUS_RESPONSE)).isEqualTo("503");
    assertThat(got).extracting(Received::body).allSatisfy(b -> assertThat(b).isEqualTo(task("exec-2-1").body()));
  }

  @Test
  void honoursRetryAfterOn429() throws Exception {
    worker.answer(429, Map.of("Retry-After", "1"));

    queue.enqueue(task("exec-3-1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 2);
    List<Received> got = worker.received();
    // maxBackoff is 50 ms, so only the Retry-After explains a gap of a second.
    assertThat(Duration.between(got.get(0).at(), got.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    assertThat(got.get(1).header(TaskHeaders.RETRY_COUNT)).isEqualTo("1");
    assertThat(got.get(1).header(TaskHeaders.EXECUTION_COUNT)).isEqualTo("1");
  }

  @Test
  void givesUpAtOnceOn400() throws Exception {
    worker.answer(400);

    try (CapturedLogs logs = CapturedLogs.of(LocalTaskQueue.class)) {
      queue.enqueue(task("exec-4-1"));

      await().atMost(Duration.ofSeconds(5)).until(() -> logs.hasLineWith("task exec-4-1 refused", "not retrying"));
    }
    assertThat(worker.received()).hasSize(1);
  }

  @Test
  void retries408And500UpToMaxAttempts() throws Exception {
    worker.answer(408, 500, 500, 500, 500);

    try (CapturedLogs logs = CapturedLogs.of(LocalTaskQueue.class)) {
      queue.enqueue(task("exec-5-1"));

      await().atMost(Duration.ofSeconds(5)).until(() -> logs.hasLineWith("task exec-5-1 failed 4 times", "giving up"));
    }
    assertThat(worker.received()).hasSize(4);
  }

  @Test
  void retriesConnectionFailuresWithoutCountingAResponse() throws Exception {
    RecordingWorker gone = RecordingWorker.start();
    gone.close();
    try (LocalTaskQueue unreachable = LocalTaskQueue.builder(gone.url())
        .minBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(20)).maxAttempts(3).build();
        CapturedLogs logs = CapturedLogs.of(LocalTaskQueue.class)) {
      unreachable.enqueue(task("exec-6-1")); // neither throws nor blocks

      await().atMost(Duration.ofSeconds(5)).until(() -> logs.hasLineWith("task exec-6-1 failed 3 times", "giving up"));
    }
  }

  @Test
  void dropsATaskNameItHasSeenBefore() throws Exception {
    queue.enqueue(task("exec-7-1"));
    queue.enqueue(task("exec-7-1"));
    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 1);

    queue.enqueue(task("exec-7-1")); // after delivery, too
    queue.enqueue(task("exec-7-2")); // enqueued after the duplicate: it arrives after it would have

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().stream()
        .anyMatch(r -> "exec-7-2".equals(r.header(TaskHeaders.TASK_NAME))));
    assertThat(worker.received()).extracting(r -> r.header(TaskHeaders.TASK_NAME))
        .containsExactly("exec-7-1", "exec-7-2");
  }

  @Test
  void targetsTheWorkersExecuteEndpoint() {
    try (LocalTaskQueue plain = LocalTaskQueue.create(java.net.URI.create("http://localhost:8081"));
        LocalTaskQueue withPath = LocalTaskQueue.create(java.net.URI.create("http://w:1/base/"))) {
      assertThat(plain.target()).hasToString("http://localhost:8081/execute");
      assertThat(withPath.target()).hasToString("http://w:1/base/execute");
    }
  }

  /** A task whose body is a Servo payload of this tenant and execution. */
  private static QueuedTask payloadTask(String name, String tenant, String executionId) {
    byte[] body = ("{\"version\":1,\"execution_id\":\"" + executionId + "\",\"tenant\":\"" + tenant
        + "\",\"workflow\":\"w\",\"definition\":{}}").getBytes(StandardCharsets.UTF_8);
    return new QueuedTask(name, body, Map.of("Content-Type", "application/json"));
  }

  private List<String> receivedTaskNames() {
    return worker.received().stream().map(r -> r.header(TaskHeaders.TASK_NAME)).toList();
  }

  @Test
  void startsAsManyLongExecutionsAtOnceAsTheDefaultConcurrencyAllows() throws Exception {
    worker.holdAnswers(); // every execution runs until the test ends it
    int concurrency = LocalTaskQueue.DEFAULT_MAX_CONCURRENT_DISPATCHES;
    assertThat(concurrency).isGreaterThan(4); // the old, fixed number of dispatcher threads

    for (int i = 1; i <= concurrency + 1; i++) {
      queue.enqueue(payloadTask("exec-c" + i + "-1", "acme", "c" + i));
    }

    // All of them arrive while not one was answered: none waited for another to end.
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == concurrency);
    assertThat(worker.heldTasks()).hasSize(concurrency);
    // The one beyond the concurrency waits for a slot, and the queue says so.
    String last = "c" + (concurrency + 1);
    assertThat(queue.dispatchWait(last)).hasValueSatisfying(wait -> {
      assertThat(wait.inFlight()).isEqualTo(concurrency);
      assertThat(wait.maxConcurrentDispatches()).isEqualTo(concurrency);
      assertThat(wait.waiting()).isEqualTo(1);
      assertThat(wait.describe()).isEqualTo("waiting for a dispatch slot: " + concurrency
          + " deliveries in flight, concurrency " + concurrency + ", 1 waiting");
    });
    assertThat(queue.dispatchWait("c1")).isEmpty(); // in flight, not waiting

    worker.release("exec-c1-1");

    await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == concurrency + 1);
    assertThat(receivedTaskNames()).last().isEqualTo("exec-" + last + "-1");
    assertThat(queue.dispatchWait(last)).isEmpty();
  }

  @Test
  void runsUpToTheConfiguredConcurrencyAtOnce() throws Exception {
    worker.holdAnswers();
    try (LocalTaskQueue wide = LocalTaskQueue.builder(worker.url()).maxConcurrentDispatches(12).build()) {
      for (int i = 1; i <= 12; i++) {
        wide.enqueue(payloadTask("exec-w" + i + "-1", i % 2 == 0 ? "acme" : "globex", "w" + i));
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 12);
      assertThat(worker.heldTasks()).hasSize(12);
      worker.releaseAll();
    }
  }

  @Test
  void anotherTenantsTaskGoesBeforeAFloodingTenantsBacklog() throws Exception {
    worker.holdAnswers();
    try (LocalTaskQueue narrow = LocalTaskQueue.builder(worker.url()).maxConcurrentDispatches(2).build()) {
      for (int i = 1; i <= 5; i++) {
        narrow.enqueue(payloadTask("exec-a" + i + "-1", "flood", "a" + i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 2);
      narrow.enqueue(payloadTask("exec-b1-1", "quiet", "b1"));
      assertThat(narrow.dispatchWait("b1")).hasValueSatisfying(w -> assertThat(w.waiting()).isEqualTo(4));

      worker.release("exec-a1-1"); // the first slot that frees goes to the other tenant

      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 3);
      // a1 and a2 went out together, so the worker may see them in either order; b1 came next
      assertThat(receivedTaskNames().subList(0, 2)).containsExactlyInAnyOrder("exec-a1-1", "exec-a2-1");
      assertThat(receivedTaskNames().get(2)).isEqualTo("exec-b1-1");

      worker.releaseAll(); // the backlog drains, two at a time, in no order the worker can tell
      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 6);
      assertThat(receivedTaskNames()).containsExactlyInAnyOrder(
          "exec-a1-1", "exec-a2-1", "exec-b1-1", "exec-a3-1", "exec-a4-1", "exec-a5-1");
    }
  }

  @Test
  void tenantsFloodingTogetherTakeTurns() throws Exception {
    worker.holdAnswers();
    try (LocalTaskQueue single = LocalTaskQueue.builder(worker.url()).maxConcurrentDispatches(1).build()) {
      for (int i = 1; i <= 3; i++) {
        single.enqueue(payloadTask("exec-x" + i + "-1", "x", "x" + i));
      }
      for (int i = 1; i <= 3; i++) {
        single.enqueue(payloadTask("exec-y" + i + "-1", "y", "y" + i));
      }
      for (int n = 1; n < 6; n++) {
        int arrived = n;
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == arrived);
        worker.release(receivedTaskNames().get(n - 1));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 6);

      assertThat(receivedTaskNames()).containsExactly(
          "exec-x1-1", "exec-y1-1", "exec-x2-1", "exec-y2-1", "exec-x3-1", "exec-y3-1");
    }
  }

  @Test
  void theTimeWaitedForASlotCountsAsQueueWait() throws Exception {
    worker.holdAnswers();
    MutableClock clock = new MutableClock(Instant.parse("2024-05-01T10:00:00Z"));
    try (LocalTaskQueue single = LocalTaskQueue.builder(worker.url()).maxConcurrentDispatches(1).clock(clock).build()) {
      single.enqueue(payloadTask("exec-e1-1", "acme", "e1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 1);
      clock.set(Instant.parse("2024-05-01T10:00:05Z"));
      single.enqueue(payloadTask("exec-e2-1", "acme", "e2"));
      assertThat(single.dispatchWait("e2")).hasValueSatisfying(
          w -> assertThat(w.since()).isEqualTo(Instant.parse("2024-05-01T10:00:05Z")));
      clock.set(Instant.parse("2024-05-01T11:00:00Z")); // the first execution ran for an hour

      worker.release("exec-e1-1");

      await().atMost(Duration.ofSeconds(10)).until(() -> worker.received().size() == 2);
      // The ETA is when the task became due, not when it got its slot: the worker's queue wait
      // (receipt minus ETA) covers the hour it waited.
      assertThat(worker.received().get(1).header(TaskHeaders.ETA))
          .isEqualTo(LocalTaskQueue.eta(Instant.parse("2024-05-01T10:00:05Z")));
    }
  }

  @Test
  void refusesAConcurrencyOutsideItsRange() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> LocalTaskQueue.builder(worker.url()).maxConcurrentDispatches(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrentDispatches must be from 1 to 1000, was 0");
  }

  /** A clock the test moves by hand. */
  private static final class MutableClock extends java.time.Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void set(Instant value) {
      now = value;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void formatsTheEtaAsSecondsWithAFraction() {
    assertThat(LocalTaskQueue.eta(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)))
        .isEqualTo("1700000000.123456");
  }
}
