package io.servo.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.core.json.Json;
import io.servo.core.queue.TaskHeaders;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import io.servo.orchestrator.testing.ApiClient.Response;
import io.servo.orchestrator.testing.RecordingWorker.Received;
import io.servo.orchestrator.testing.TestOrchestrator;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutionApiTest {
  @TempDir Path dir;
  private TestOrchestrator orchestrator;

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = TestOrchestrator.start(dir);
    assertThat(orchestrator.api().put("/v1/workflows/daily_sales", "tokA", WorkflowApiTest.DAILY_SALES_YAML)
        .status()).isEqualTo(201);
  }

  @AfterEach
  void tearDown() {
    orchestrator.close();
  }

  @Test
  void startsAnExecutionAndTheWorkerReceivesTheSignedTask() throws Exception {
    Response r = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", null);

    assertThat(r.status()).isEqualTo(201);
    String id = r.json().get("execution_id").asText();
    assertThat(r.json().has("trace_id")).isTrue();
    assertThat(r.json().get("trace_id").isNull()).isTrue();
    assertThat(r.json().get("state").asText()).isEqualTo("pending");
    assertThat(r.json().get("workflow").asText()).isEqualTo("daily_sales");
    assertThat(r.json().get("workflow_version").asInt()).isEqualTo(1);
    assertThat(r.json().has("enqueue_error")).isFalse();

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    Received task = orchestrator.worker.received().get(0);
    assertThat(task.method()).isEqualTo("POST");
    assertThat(task.path()).isEqualTo("/execute");
    String expectedName = "exec-" + id + "-1";
    assertThat(task.header(TaskHeaders.TASK_NAME)).isEqualTo(expectedName).matches("[A-Za-z0-9_-]+");
    assertThat(task.header(TaskHeaders.QUEUE_NAME)).isEqualTo("servo-local");
    assertThat(task.header(TaskHeaders.RETRY_COUNT)).isEqualTo("0");
    assertThat(task.header(TaskHeaders.EXECUTION_COUNT)).isEqualTo("0");
    assertThat(task.header(TaskHeaders.ETA)).matches("\\d+\\.\\d{6}");
    assertThat(task.header("User-Agent")).isEqualTo("Google-Cloud-Tasks");
    assertThat(task.header("Content-Type")).isEqualTo("application/json");

    TaskSignature verifier = TaskSignature.create(TestOrchestrator.SECRET);
    assertThat(verifier.verify(task::header, task.body())).isNull();

    TaskPayload payload = TaskPayloadCodec.decode(task.body());
    assertThat(payload.version()).isEqualTo(1);
    assertThat(payload.executionId()).isEqualTo(id);
    assertThat(payload.tenant()).isEqualTo("a");
    assertThat(payload.workflow()).isEqualTo("daily_sales");
    assertThat(payload.workflowVersion()).isEqualTo(1);
    assertThat(payload.trace().isEmpty()).isTrue();
    assertThat(payload.createdAt()).isBetween(Instant.now().minusSeconds(60), Instant.now());
    String stored = orchestrator.storage.workflows().latest("a", "daily_sales").orElseThrow().definitionJson();
    assertThat(payload.definition()).isEqualTo(Json.mapper().readTree(stored));
    // handed over: nothing left in the outbox
    assertThat(orchestrator.storage.outbox().pendingFor("a", id)).isEmpty();
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheSameExecutionAndDeliversOnce() throws Exception {
    Response first = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", "nightly-2026-11-25");
    Response again = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", "nightly-2026-11-25");

    assertThat(first.status()).isEqualTo(201);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().get("execution_id").asText()).isEqualTo(first.json().get("execution_id").asText());
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);

    Response other = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", "another-key");
    assertThat(other.status()).isEqualTo(201);
    assertThat(other.json().get("execution_id").asText()).isNotEqualTo(first.json().get("execution_id").asText());
    // The later execution's task arrives after a second one of the first would have: still one each.
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() >= 2);
    assertThat(orchestrator.worker.received()).extracting(r -> TaskPayloadCodec.decode(r.body()).executionId())
        .containsExactly(first.json().get("execution_id").asText(), other.json().get("execution_id").asText());
  }

  @Test
  void rejectsAnInvalidIdempotencyKey() {
    Response tooLong = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", "k".repeat(256));

    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.json().get("error").asText()).contains("Idempotency-Key").contains("1-255 printable ASCII");
    assertThat(ExecutionEndpoint.validIdempotencyKey("k".repeat(255))).isTrue();
    assertThat(ExecutionEndpoint.validIdempotencyKey("tab\there")).isFalse();
    assertThat(ExecutionEndpoint.validIdempotencyKey("caf\u00e9")).isFalse();
    assertThat(ExecutionEndpoint.validIdempotencyKey("")).isFalse();
  }

  @Test
  void anUnknownWorkflowIs404() {
    Response r = orchestrator.api().post("/v1/workflows/nope/executions", "tokA", null);

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("error").asText()).contains("'nope' is not deployed").contains("PUT /v1/workflows/nope");
  }

  @Test
  void reportsAnExecutionWithItsAssetResults() {
    String id = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", null)
        .json().get("execution_id").asText();

    Response pending = orchestrator.api().get("/v1/executions/" + id, "tokA");
    assertThat(pending.status()).isEqualTo(200);
    JsonNode p = pending.json();
    assertThat(p.get("execution_id").asText()).isEqualTo(id);
    assertThat(p.get("tenant").asText()).isEqualTo("a");
    assertThat(p.get("workflow").asText()).isEqualTo("daily_sales");
    assertThat(p.get("workflow_version").asInt()).isEqualTo(1);
    assertThat(p.get("state").asText()).isEqualTo("pending");
    assertThat(p.get("created_at").asText()).isNotEmpty();
    for (String field : new String[] {"error", "started_at", "ended_at", "trace_id"}) {
      assertThat(p.has(field)).as(field).isTrue();
      assertThat(p.get(field).isNull()).as(field).isTrue();
    }
    assertThat(p.get("assets")).isEmpty();

    // What a worker records, written through the store.
    Execution claimed = orchestrator.storage.executions().claim("a", id, Duration.ofMinutes(1)).orElseThrow();
    Instant now = Instant.now();
    orchestrator.storage.executions().recordAssetResult("a", new AssetResult(id, "raw_orders", "sql",
        AssetStatus.SUCCEEDED, claimed.attempt(), now, now, "0 rows affected", null));
    orchestrator.storage.executions().recordAssetResult("a", new AssetResult(id, "cleaned_orders", "command",
        AssetStatus.FAILED, claimed.attempt(), now, now, "exit code 1", "clean.py failed"));
    orchestrator.storage.executions().finish("a", id, claimed.attempt(), ExecutionState.FAILED, "asset cleaned_orders failed");

    JsonNode done = orchestrator.api().get("/v1/executions/" + id, "tokA").json();
    assertThat(done.get("state").asText()).isEqualTo("failed");
    assertThat(done.get("error").asText()).isEqualTo("asset cleaned_orders failed");
    assertThat(done.get("attempt").asInt()).isEqualTo(claimed.attempt());
    assertThat(done.get("started_at").isNull()).isFalse();
    assertThat(done.get("ended_at").isNull()).isFalse();
    JsonNode assets = done.get("assets");
    assertThat(assets).hasSize(2);
    JsonNode failed = assets.get(1);
    assertThat(failed.get("name").asText()).isEqualTo("cleaned_orders");
    assertThat(failed.get("kind").asText()).isEqualTo("command");
    assertThat(failed.get("status").asText()).isEqualTo("failed");
    assertThat(failed.get("attempt").asInt()).isEqualTo(claimed.attempt());
    assertThat(failed.get("output").asText()).isEqualTo("exit code 1");
    assertThat(failed.get("error").asText()).isEqualTo("clean.py failed");
    assertThat(failed.get("started_at").asText()).isNotEmpty();
    assertThat(assets.get(0).get("error").isNull()).isTrue();
  }

  @Test
  void anUnknownOrMalformedExecutionIdIs404() {
    assertThat(orchestrator.api().get("/v1/executions/" + java.util.UUID.randomUUID(), "tokA").status())
        .isEqualTo(404);
    Response malformed = orchestrator.api().get("/v1/executions/not-a-uuid", "tokA");
    assertThat(malformed.status()).isEqualTo(404);
    assertThat(malformed.json().get("error").asText()).contains("not found");
  }
}
