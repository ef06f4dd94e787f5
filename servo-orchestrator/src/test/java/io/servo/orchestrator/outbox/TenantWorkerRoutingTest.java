package io.servo.orchestrator.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.task.TaskSignature;
import io.servo.orchestrator.testing.RecordingWorker;
import io.servo.orchestrator.testing.RecordingWorker.Received;
import io.servo.orchestrator.testing.TestOrchestrator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant that must not share a worker gets its own: the orchestrator sends that tenant's tasks
 * there, signed with that worker's own key, so neither worker can verify (or forge) the other's.
 */
class TenantWorkerRoutingTest {
  private static final String ACME_KEY = "acme-worker-key-" + "x".repeat(32);
  private static final String WORKFLOW = """
      workflow: w
      assets:
        - name: a
          kind: sql
          sql: SELECT 1
      """;

  @TempDir Path dir;

  @Test
  void aTenantsTasksGoToItsOwnWorkerSignedWithThatWorkersKey() throws Exception {
    try (RecordingWorker acmeWorker = RecordingWorker.start();
         TestOrchestrator orchestrator = TestOrchestrator.prepare(dir, Map.of(
             "SERVO_TENANT_A_WORKER_URL", acmeWorker.url().toString(),
             "SERVO_TENANT_A_HMAC_SECRET", ACME_KEY))) {
      orchestrator.startServer(UnaryOperator.identity());
      for (String token : new String[] {"tokA", "tokB"}) {
        assertThat(orchestrator.api().put("/v1/workflows/w", token, WORKFLOW).status()).isEqualTo(201);
        assertThat(orchestrator.api().post("/v1/workflows/w/executions", token, null).status()).isBetween(200, 202);
      }
      await().atMost(Duration.ofSeconds(10))
          .until(() -> acmeWorker.received().size() == 1 && orchestrator.worker.received().size() == 1);

      TaskSignature acme = TaskSignature.create(ACME_KEY);
      TaskSignature shared = TaskSignature.create(TestOrchestrator.SECRET);
      Received toAcme = acmeWorker.received().get(0);
      Received toShared = orchestrator.worker.received().get(0);
      assertThat(new String(toAcme.body(), StandardCharsets.UTF_8)).contains("\"tenant\":\"a\"");
      assertThat(new String(toShared.body(), StandardCharsets.UTF_8)).contains("\"tenant\":\"b\"");
      assertThat(verify(acme, toAcme)).as("acme's worker verifies acme's task").isNull();
      assertThat(verify(shared, toAcme)).as("the shared key cannot verify acme's task").isNotNull();
      assertThat(verify(shared, toShared)).isNull();
      assertThat(verify(acme, toShared)).as("acme's key cannot verify another tenant's task").isNotNull();
    }
  }

  private static String verify(TaskSignature signature, Received task) {
    return signature.verify(task::header, task.body());
  }
}
