package io.servo.runtime.queue.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskHeaders;
import io.servo.runtime.testing.RecordingWorker;
import io.servo.runtime.testing.RecordingWorker.Received;
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

    queue.enqueue(task("exec-2-1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 3);
    List<Received> got = worker.received();
    assertThat(got).extracting(r -> r.header(TaskHeaders.RETRY_COUNT)).containsExactly("0", "1", "2");
    assertThat(got).extracting(r -> r.header(TaskHeaders.EXECUTION_COUNT)).containsExactly("0", "1", "2");
    assertThat(got.get(2).header(TaskHeaders.PREVIOUS_RESPONSE)).isEqualTo("503");
    assertThat(got).extracting(Received::body).allSatisfy(b -> assertThat(b).isEqualTo(task("exec-2-1").body()));
    Thread.sleep(200);
    assertThat(worker.received()).hasSize(3);
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

    queue.enqueue(task("exec-4-1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 1);
    Thread.sleep(300);
    assertThat(worker.received()).hasSize(1);
  }

  @Test
  void retries408And500UpToMaxAttempts() throws Exception {
    worker.answer(408, 500, 500, 500, 500);

    queue.enqueue(task("exec-5-1"));

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 4);
    Thread.sleep(300);
    assertThat(worker.received()).hasSize(4);
  }

  @Test
  void retriesConnectionFailuresWithoutCountingAResponse() throws Exception {
    RecordingWorker gone = RecordingWorker.start();
    gone.close();
    try (LocalTaskQueue unreachable = LocalTaskQueue.builder(gone.url())
        .minBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(20)).maxAttempts(3).build()) {
      unreachable.enqueue(task("exec-6-1"));
      // Nothing to observe but that it neither throws nor blocks; the attempts are logged.
      Thread.sleep(300);
    }
  }

  @Test
  void dropsATaskNameItHasSeenBefore() throws Exception {
    queue.enqueue(task("exec-7-1"));
    queue.enqueue(task("exec-7-1"));
    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 1);

    queue.enqueue(task("exec-7-1")); // after delivery, too
    queue.enqueue(task("exec-7-2"));

    await().atMost(Duration.ofSeconds(5)).until(() -> worker.received().size() == 2);
    Thread.sleep(200);
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

  @Test
  void formatsTheEtaAsSecondsWithAFraction() {
    assertThat(LocalTaskQueue.eta(Instant.ofEpochSecond(1_700_000_000L, 123_456_789)))
        .isEqualTo("1700000000.123456");
  }
}
