package io.servo.worker;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.servo.core.json.Json;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests that must be refused before anything runs, and the worker's other endpoints. */
class ExecuteRequestValidationTest {
  @TempDir Path dir;
  private CallLog callee;
  private WorkerHarness worker;
  private WorkerHarness.Task task;
  private Execution before;

  @BeforeEach
  void setUp() {
    callee = CallLog.start();
    worker = WorkerHarness.start(dir, Map.of());
    task = worker.newExecution("""
        workflow: guarded
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(callee.baseUrl()));
    before = worker.storage().executions().find("default", task.executionId()).orElseThrow();
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
  }

  private void assertNothingChanged() {
    assertThat(worker.storage().executions().find("default", task.executionId())).contains(before);
    List<AssetResult> results = worker.storage().executions().assetResults("default", task.executionId());
    assertThat(results).isEmpty();
    assertThat(callee.calls()).isEmpty();
  }

  @Test
  void tamperedBodyIsRejected() {
    Map<String, String> headers = worker.sign(task.body());
    byte[] tampered = new String(task.body(), StandardCharsets.UTF_8)
        .replace("\"ping\"", "\"pong\"").getBytes(StandardCharsets.UTF_8);

    HttpResponse<String> response = worker.post(tampered, headers);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(json(response).get("error").asText()).contains("signature does not match");
    assertNothingChanged();
  }

  @Test
  void staleTimestampIsRejected() {
    HttpResponse<String> response =
        worker.post(task.body(), worker.signAt(task.body(), Duration.ofMinutes(-6)));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(json(response).get("error").asText()).contains("outside the 5-minute window");
    assertNothingChanged();
  }

  @Test
  void missingSignatureHeadersAreRejected() {
    HttpResponse<String> response = worker.post(task.body(), Map.of());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(json(response).get("error").asText()).contains("missing X-Servo-Timestamp");
    assertNothingChanged();
  }

  @Test
  void wrongSecretIsRejected() {
    Map<String, String> headers = io.servo.core.task.TaskSignature
        .create("another-secret-of-sufficient-length-0123456789").sign(task.body());

    assertThat(worker.post(task.body(), headers).statusCode()).isEqualTo(401);
    assertNothingChanged();
  }

  @Test
  void bodyOverTheLimitIsRejected() {
    byte[] big = new byte[65537];
    Arrays.fill(big, (byte) ' ');

    HttpResponse<String> response = worker.post(big);

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(json(response).get("error").asText()).contains("SERVO_MAX_BODY_BYTES");
    assertNothingChanged();
  }

  @Test
  void signedButInvalidPayloadsAreRejectedWithAMessage() throws Exception {
    HttpResponse<String> notJson = worker.post("{not json".getBytes(StandardCharsets.UTF_8));
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(json(notJson).get("error").asText()).startsWith("task payload is not valid");

    ObjectNode future = (ObjectNode) Json.mapper().readTree(task.body());
    future.put("version", 99);
    HttpResponse<String> newer = worker.post(Json.mapper().writeValueAsBytes(future));
    assertThat(newer.statusCode()).isEqualTo(400);
    assertThat(json(newer).get("error").asText()).startsWith("unsupported task payload version 99");
    assertNothingChanged();
  }

  @Test
  void unknownExecutionIsNotFound() throws Exception {
    ObjectNode other = (ObjectNode) Json.mapper().readTree(task.body());
    other.put("execution_id", UUID.randomUUID().toString());

    HttpResponse<String> response = worker.post(Json.mapper().writeValueAsBytes(other));

    assertThat(response.statusCode()).isEqualTo(404);
    assertNothingChanged();
  }

  @Test
  void malformedDeliveryHeadersAreIgnored() {
    Map<String, String> headers = new HashMap<>(worker.sign(task.body()));
    headers.put("X-CloudTasks-TaskExecutionCount", "many");
    headers.put("X-CloudTasks-TaskETA", "not-a-time");
    headers.put("X-CloudTasks-TaskName", "projects/p/locations/l/queues/q/tasks/t1");

    assertThat(worker.post(task.body(), headers).statusCode()).isEqualTo(200);
  }

  @Test
  void healthReadyAndRouting() {
    HttpResponse<String> health = worker.send(HttpRequest.newBuilder(worker.uri("/health")).build());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");

    HttpResponse<String> ready = worker.send(HttpRequest.newBuilder(worker.uri("/ready")).build());
    assertThat(ready.statusCode()).isEqualTo(200);

    HttpResponse<String> unknown = worker.send(HttpRequest.newBuilder(worker.uri("/nope")).build());
    assertThat(unknown.statusCode()).isEqualTo(404);

    HttpResponse<String> wrongMethod = worker.send(HttpRequest.newBuilder(worker.uri("/execute")).GET().build());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
  }

  @Test
  void aFullRequestPoolAnswers503ButStillServesProbes() throws Exception {
    try (WorkerHarness small = WorkerHarness.start(
        java.nio.file.Files.createDirectories(dir.resolve("small")), Map.of(),
        Map.of("SERVO_WORKER_THREADS", "1"))) {
      var blocking = small.newExecution("""
          workflow: blocking
          assets:
            - name: wait
              kind: http
              url: %s/block
          """.formatted(callee.baseUrl()));
      var release = new java.util.concurrent.CountDownLatch(1);
      var entered = new java.util.concurrent.CountDownLatch(1);
      callee.onCall("/block", () -> {
        entered.countDown();
        try {
          release.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      var running = java.util.concurrent.CompletableFuture.supplyAsync(() -> small.post(blocking.body()));
      assertThat(entered.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

      // One thread is busy; of two more requests one waits in the queue, the other is refused.
      var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> small.post(new byte[0], Map.of()));
      var third = java.util.concurrent.CompletableFuture.supplyAsync(() -> small.post(new byte[0], Map.of()));
      var refused = (HttpResponse<String>) java.util.concurrent.CompletableFuture.anyOf(second, third)
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      HttpResponse<String> health = small.send(HttpRequest.newBuilder(small.uri("/health")).build());
      assertThat(health.statusCode()).isEqualTo(200);

      release.countDown();
      assertThat(running.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(List.of(second.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode(),
              third.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()))
          .containsExactlyInAnyOrder(503, 401);
    }
  }

  @Test
  void readyIsUnavailableWhenTheDatabaseIs() {
    worker.storage().close();

    HttpResponse<String> ready = worker.send(HttpRequest.newBuilder(worker.uri("/ready")).build());

    assertThat(ready.statusCode()).isEqualTo(503);
    HttpResponse<String> health = worker.send(HttpRequest.newBuilder(worker.uri("/health")).build());
    assertThat(health.statusCode()).isEqualTo(200);
  }
}
