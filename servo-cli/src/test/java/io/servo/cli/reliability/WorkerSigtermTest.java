package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.testing.otlp.OtlpReceiver;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cloud Run stops a worker instance with SIGTERM and, 10 s later, SIGKILL. A worker process told to
 * stop in the middle of an execution exports the spans it has (the interrupted attempt's) before it
 * exits within those 10 s, and the execution is not left running: the claim is given back, the
 * queue redelivers it to the next worker, and it completes.
 */
class WorkerSigtermTest {
  private static final Duration CLOUD_RUN_GRACE = Duration.ofSeconds(10);

  @TempDir Path dir;
  private PostgresTestDatabase database;
  private OtlpReceiver workerBackend;
  private InProcessServo orchestratorSide;
  private ServoProcess first;
  private ServoProcess second;

  @AfterEach
  void stop() throws Exception {
    for (ServoProcess p : new ServoProcess[] {first, second}) {
      if (p != null) {
        p.close();
      }
    }
    if (orchestratorSide != null) {
      orchestratorSide.close();
    }
    if (workerBackend != null) {
      workerBackend.close();
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  void aWorkerStoppedMidExecutionFlushesItsSpansWithinTheGraceAndTheExecutionCompletesElsewhere()
      throws Exception {
    Path marker = dir.resolve("napped-once");
    InProcessServo.Started started = startAndStopMidAsset(
        "if [ -e %s ]; then exit 0; fi; touch %s; sleep 120".formatted(marker, marker), marker);

    Execution meanwhile = orchestratorSide.execution(started.id());
    assertThat(meanwhile.state()).isEqualTo(ExecutionState.RUNNING);
    assertThat(meanwhile.leaseUntil()).as("the claim was given back, not left to expire").isNull();
    second = ServoProcess.start("worker", workerEnv, dir.resolve("worker-2.log")).awaitListening(Duration.ofSeconds(30));
    Execution ended = orchestratorSide.awaitEnded(started.id(), Duration.ofSeconds(60)).orElseThrow();
    assertThat(ended.state()).as(second.output()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(ended.attempt()).isEqualTo(2);
    assertThat(orchestratorSide.storage.executions().assetResults(InProcessServo.TENANT, started.id()))
        .extracting(AssetResult::status).containsOnly(AssetStatus.SUCCEEDED);
  }

  /**
   * The same with a command that ignores SIGTERM (the worker then waits 2 s before SIGKILL): the
   * worker's drain, the 2 s and the final flush must still fit in Cloud Run's 10 s, or Cloud Run
   * would SIGKILL it before its spans are exported (it did not with an 8 s drain).
   */
  @Test
  void aWorkerWhoseCommandIgnoresSigtermStillExitsWithinTheGrace() throws Exception {
    Path marker = dir.resolve("started");
    startAndStopMidAsset("trap '' TERM; touch %s; while true; do sleep 1; done".formatted(marker), marker);
  }

  private Map<String, String> workerEnv;

  /**
   * Starts a worker process and an execution whose command asset runs {@code script}, waits for
   * {@code marker}, sends SIGTERM, and checks the exit within the grace and the exported spans.
   */
  private InProcessServo.Started startAndStopMidAsset(String script, Path marker) throws Exception {
    database = PostgresTestDatabase.create();
    workerBackend = OtlpReceiver.start(OtlpReceiver.Mode.OK);
    workerEnv = ServoProcess.workerEnvironment(database.url(), dir);
    workerEnv.put("SERVO_TRACE_ENABLED", "true");
    workerEnv.put("SERVO_TRACE_SAMPLE_RATE", "1.0");
    workerEnv.put("SERVO_TRACE_EXPORTER", "otlp");
    workerEnv.put("SERVO_TRACE_ENDPOINT", workerBackend.endpoint());
    first = ServoProcess.start("worker", workerEnv, dir.resolve("worker-1.log")).awaitListening(Duration.ofSeconds(30));

    // The orchestrator (in this JVM) traces too, so the execution's trace is sampled.
    orchestratorSide = InProcessServo.builder(database.url())
        .env(Map.of("SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_SAMPLE_RATE", "1.0", "SERVO_TRACE_EXPORTER", "none"))
        .orchestrator(b -> b.localQueue(q -> q.maxBackoff(Duration.ofMillis(500)).maxAttempts(100)))
        .workerUrl(first.url())
        .start();
    orchestratorSide.deploy("nap", """
        workflow: nap
        assets:
          - {name: first, kind: sql, sql: SELECT 1}
          - {name: nap, kind: command, command: [sh, -c, "%s"], depends_on: [first]}
        """.formatted(script));
    InProcessServo.Started started = orchestratorSide.start("nap");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> Files.exists(marker));

    long t0 = System.nanoTime();
    first.terminate();
    boolean exited = first.waitFor(Duration.ofSeconds(30));
    Duration stopped = Duration.ofNanos(System.nanoTime() - t0);
    java.util.OptionalLong arrived = workerBackend.arrivalOf(started.traceId(), "worker.execute_workflow");
    System.out.printf("worker stopped %d ms after SIGTERM; its execution span arrived after %s ms%n", stopped.toMillis(),
        arrived.isPresent() ? Long.toString((arrived.getAsLong() - t0) / 1_000_000) : "(never)");
    assertThat(exited).as("the worker exits after SIGTERM:%n%s", first.output()).isTrue();
    assertThat(arrived).as("the interrupted attempt's spans were exported:%n%s", first.output()).isPresent();
    assertThat(Duration.ofNanos(arrived.getAsLong() - t0))
        .as("the interrupted attempt's spans were exported within Cloud Run's grace:%n%s", first.output())
        .isLessThan(CLOUD_RUN_GRACE);
    return started;
  }
}
