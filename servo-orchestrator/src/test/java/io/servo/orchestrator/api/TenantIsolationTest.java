package io.servo.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.task.TaskPayloadCodec;
import io.servo.orchestrator.testing.ApiClient.Response;
import io.servo.orchestrator.testing.TestOrchestrator;
import io.servo.storage.StoredWorkflow;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TenantIsolationTest {
  private static final String B_WORKFLOW = """
      workflow: shared
      assets:
        - {name: only_b, kind: sql, sql: SELECT 'b'}
      """;
  private static final String A_WORKFLOW = """
      workflow: shared
      assets:
        - {name: only_a, kind: sql, sql: SELECT 'a'}
      """;

  @TempDir Path dir;
  private TestOrchestrator orchestrator;
  private String bExecution;
  private StoredWorkflow bWorkflow;

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = TestOrchestrator.start(dir);
    assertThat(orchestrator.api().put("/v1/workflows/shared", "tokB", B_WORKFLOW).status()).isEqualTo(201);
    bWorkflow = orchestrator.storage.workflows().latest("b", "shared").orElseThrow();
    bExecution = orchestrator.api().post("/v1/workflows/shared/executions", "tokB", "key-1")
        .json().get("execution_id").asText();
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() == 1);
  }

  @AfterEach
  void tearDown() {
    orchestrator.close();
  }

  @Test
  void aTenantCannotReadAnotherTenantsExecution() {
    Response asA = orchestrator.api().get("/v1/executions/" + bExecution, "tokA");
    Response missing = orchestrator.api().get("/v1/executions/" + java.util.UUID.randomUUID(), "tokA");

    assertThat(asA.status()).isEqualTo(404);
    // indistinguishable from an id that does not exist, apart from the id itself
    assertThat(asA.json().get("error").asText().replace(bExecution, "ID"))
        .isEqualTo(missing.json().get("error").asText().replaceAll("'[0-9a-f-]{36}'", "'ID'"));
    assertThat(orchestrator.api().get("/v1/executions/" + bExecution, "tokB").status()).isEqualTo(200);
  }

  @Test
  void aTenantCannotRunAnotherTenantsWorkflow() throws Exception {
    Response asA = orchestrator.api().post("/v1/workflows/shared/executions", "tokA", "key-1");

    assertThat(asA.status()).isEqualTo(404);
    assertOnlyBsTasksAfterAMarker();
  }

  @Test
  void aPutUnderAnotherTokenCreatesThatTenantsOwnWorkflow() {
    Response asA = orchestrator.api().put("/v1/workflows/shared", "tokA", A_WORKFLOW);

    assertThat(asA.status()).isEqualTo(201);
    assertThat(asA.json().get("tenant").asText()).isEqualTo("a");
    assertThat(asA.json().get("version").asInt()).isEqualTo(1);
    assertThat(orchestrator.storage.workflows().latest("b", "shared")).contains(bWorkflow);
    assertThat(orchestrator.storage.workflows().latest("a", "shared").orElseThrow().definitionJson())
        .contains("only_a").doesNotContain("only_b");
  }

  @Test
  void aWrongOrMissingTokenChangesNothing() throws Exception {
    for (String token : new String[] {null, "tokB-wrong", "TOKA", "tok"}) {
      assertThat(orchestrator.api().put("/v1/workflows/shared", token, A_WORKFLOW).status()).isEqualTo(401);
      assertThat(orchestrator.api().post("/v1/workflows/shared/executions", token, null).status()).isEqualTo(401);
      assertThat(orchestrator.api().get("/v1/executions/" + bExecution, token).status()).isEqualTo(401);
    }
    assertThat(orchestrator.storage.workflows().latest("b", "shared")).contains(bWorkflow);
    assertOnlyBsTasksAfterAMarker();
  }

  /**
   * B runs its workflow again: once that task arrives, a task the calls before it had wrongly
   * created would have arrived too. Only B's two executions were delivered.
   */
  private void assertOnlyBsTasksAfterAMarker() {
    String marker = orchestrator.api().post("/v1/workflows/shared/executions", "tokB", "key-marker")
        .json().get("execution_id").asText();
    await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.worker.received().size() >= 2);
    assertThat(orchestrator.worker.received()).extracting(r -> TaskPayloadCodec.decode(r.body()).executionId())
        .containsExactly(bExecution, marker);
  }

  @Test
  void withoutTokensDevelopmentRunsEveryRequestAsTenantDefault(@TempDir Path devDir) throws Exception {
    try (TestOrchestrator dev = TestOrchestrator.prepare(devDir, Map.of("SERVO_API_TOKENS", ""))) {
      dev.startServer(UnaryOperator.identity());

      Response r = dev.api().put("/v1/workflows/shared", null, A_WORKFLOW);

      assertThat(r.status()).isEqualTo(201);
      assertThat(r.json().get("tenant").asText()).isEqualTo("default");
      assertThat(dev.storage.workflows().latest("default", "shared")).isPresent();
    }
  }
}
