package io.servo.worker.execution;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.storage.ExecutionStore;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that stalls in an asset past its lease while a redelivery takes the execution over: its
 * late result must not overwrite the new attempt's, and it must run nothing more.
 */
class ClaimTakenOverTest {
  @TempDir Path dir;
  private CallLog callee;
  private WorkerHarness worker;

  @BeforeEach
  void setUp() {
    callee = CallLog.start();
    worker = WorkerHarness.start(dir, Map.of());
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
  }

  @Test
  void aWorkerWhoseClaimWasTakenOverMidAssetWritesNothingMoreAndRunsNoFurtherAsset() {
    var task = worker.newExecution("""
        workflow: taken_over
        assets:
          - name: first
            kind: http
            url: %s/first
          - name: second
            kind: http
            url: %s/second
            depends_on: [first]
        """.formatted(callee.baseUrl(), callee.baseUrl()));
    ExecutionStore store = worker.storage().executions();
    AtomicReference<AssetResult> newAttemptsResult = new AtomicReference<>();
    // While "first" runs, the worker's lease lapses (its clock jumps past the 60 s lease before
    // the heartbeat renews it) and another worker claims the execution and records "first".
    callee.onCall("/first", () -> {
      worker.clock().advance(Duration.ofMinutes(2));
      Execution taken = store.claim(task.tenant(), task.executionId(), Duration.ofMinutes(5)).orElseThrow();
      Instant now = worker.clock().instant().truncatedTo(ChronoUnit.MILLIS); // what the store keeps
      AssetResult result = new AssetResult(task.executionId(), "first", "http", AssetStatus.SUCCEEDED,
          taken.attempt(), now, now, "recorded by the new attempt", null);
      assertThat(store.recordAssetResult(task.tenant(), result)).isTrue();
      newAttemptsResult.set(result);
    });

    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
    assertThat(json(response).get("error").asText()).contains("another worker took the execution over");
    assertThat(callee.count("/first")).isEqualTo(1);
    assertThat(callee.count("/second")).as("assets run after the claim was lost").isZero();
    assertThat(store.assetResults(task.tenant(), task.executionId()))
        .as("the stale attempt's result did not overwrite the new attempt's")
        .containsExactly(newAttemptsResult.get());
    Execution execution = store.find(task.tenant(), task.executionId()).orElseThrow();
    assertThat(execution.state()).isEqualTo(ExecutionState.RUNNING);
    assertThat(execution.attempt()).isEqualTo(2);
  }
}
