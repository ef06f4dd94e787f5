package io.servo.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.queue.TaskHeaders;
import io.servo.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pending execution whose task waits in the local queue for a dispatch slot says so. */
class DispatchWaitApiTest {
  @TempDir Path dir;
  private TestOrchestrator orchestrator;

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = TestOrchestrator.prepare(dir, Map.of("SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES", "1"));
    orchestrator.worker.holdAnswers(); // the first execution runs until the test ends
    orchestrator.startServer(UnaryOperator.identity());
    assertThat(orchestrator.api().put("/v1/workflows/daily_sales", "tokA", WorkflowApiTest.DAILY_SALES_YAML)
        .status()).isEqualTo(201);
  }

  @AfterEach
  void tearDown() {
    orchestrator.close();
  }

  @Test
  void aPendingExecutionWaitingForADispatchSlotSaysWhy() {
    String running = start();
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
    assertThat(orchestrator.worker.received().get(0).header(TaskHeaders.TASK_NAME))
        .isEqualTo("exec-" + running + "-1");
    String waiting = start();
    // The relay hands the second task over in the background.
    await().atMost(Duration.ofSeconds(10)).until(() -> execution(waiting).has("queue"));

    JsonNode queue = execution(waiting).get("queue");
    assertThat(queue.get("status").asText()).isEqualTo("waiting_for_dispatch_slot");
    assertThat(queue.get("in_flight").asInt()).isEqualTo(1);
    assertThat(queue.get("max_concurrent_dispatches").asInt()).isEqualTo(1);
    assertThat(queue.get("waiting").asInt()).isEqualTo(1);
    assertThat(queue.get("since").asText()).isNotEmpty();
    assertThat(queue.get("message").asText())
        .isEqualTo("waiting for a dispatch slot: 1 delivery in flight, concurrency 1, 1 waiting");
    assertThat(execution(waiting).get("state").asText()).isEqualTo("pending");
    // The one in flight is pending too (the worker has not answered), but waits for no slot.
    assertThat(execution(running).has("queue")).isFalse();

    orchestrator.worker.release("exec-" + running + "-1");

    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 2);
    assertThat(execution(waiting).has("queue")).isFalse();
  }

  private String start() {
    var r = orchestrator.api().post("/v1/workflows/daily_sales/executions", "tokA", null);
    assertThat(r.status()).isEqualTo(201);
    return r.json().get("execution_id").asText();
  }

  private JsonNode execution(String id) {
    var r = orchestrator.api().get("/v1/executions/" + id, "tokA");
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }
}
