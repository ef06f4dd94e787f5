package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.ExecutionState;
import io.servo.queue.local.LocalTaskQueue;
import io.servo.storage.Execution;
import io.servo.testing.logs.CapturedLogs;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import io.servo.storage.Storage;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A task delivered more than the signature window (5 min) after the relay signed it — it sat in a
 * queue retrying a worker that was down — is refused 401 by the worker, and a 401 is final: the
 * queue drops it and the execution is left pending without a task. The sweeper re-enqueues it; the
 * relay signs the new task at its hand-over, so it is accepted.
 */
class StaleSignatureTest {
  private PostgresTestDatabase database;
  private ServoStorage workerStorage;
  private WorkerServer worker;
  private InProcessServo orchestratorSide;

  @AfterEach
  void stop() {
    if (orchestratorSide != null) {
      orchestratorSide.close();
    }
    if (worker != null) {
      worker.close();
    }
    if (workerStorage != null) {
      workerStorage.close();
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  void aTaskRefusedForAStaleSignatureIsReEnqueuedWithAFreshOne() throws Exception {
    database = PostgresTestDatabase.create();
    OffsetClock workerClock = new OffsetClock();
    workerClock.offset = Duration.ofMinutes(6); // the delivery happens 6 min after signing
    Map<String, String> env = new HashMap<>();
    env.put("SERVO_ENVIRONMENT", "development");
    env.put("SERVO_DATABASE_URL", database.url());
    env.put("SERVO_HMAC_SECRET", InProcessServo.SECRET);
    env.put("PORT", "0");
    workerStorage = Storage.open(database.url());
    worker = WorkerServer.builder(WorkerConfig.fromEnvironment(env), workerStorage).environment(env)
        .clock(workerClock).build();
    worker.start();

    try (CapturedLogs queueLogs = CapturedLogs.of(LocalTaskQueue.class)) {
      orchestratorSide = InProcessServo.builder(database.url())
          .workerUrl("http://127.0.0.1:" + worker.port())
          .orchestrator(b -> b.sweeper(s -> s.interval(Duration.ofMillis(200)).pendingAfter(Duration.ofSeconds(2))))
          .start();
      orchestratorSide.deploy("late", "workflow: late\nassets: [{name: one, kind: sql, sql: SELECT 1}]");
      InProcessServo.Started started = orchestratorSide.start("late");
      await().atMost(Duration.ofSeconds(10)).until(() -> !queueLogs.containing("HTTP 401").isEmpty());
      assertThat(orchestratorSide.execution(started.id()).state()).isEqualTo(ExecutionState.PENDING);

      workerClock.offset = Duration.ZERO; // later deliveries arrive on time

      Execution ended = orchestratorSide.awaitEnded(started.id(), Duration.ofSeconds(20)).orElseThrow();
      assertThat(ended.state()).isEqualTo(ExecutionState.SUCCEEDED);
      assertThat(ended.attempt()).as("the refused delivery never claimed it").isEqualTo(1);
    }
  }

  /** The system clock shifted by an offset a test changes. */
  private static final class OffsetClock extends Clock {
    volatile Duration offset = Duration.ZERO;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }
}
