package io.servo.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.testing.ApiClient;
import io.servo.orchestrator.testing.ApiClient.Response;
import io.servo.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCloseTest {
  private static final String WORKFLOW = """
      workflow: nightly
      assets:
        - {name: load, kind: sql, sql: SELECT 1}
      """;

  @TempDir Path dir;

  @Test
  void closeLetsARequestInFlightFinish() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (TestOrchestrator orchestrator = TestOrchestrator.prepare(dir)) {
      orchestrator.startServer(b -> b.launcherDecorator(launcher -> blocking(launcher, entered, release)));
      ApiClient api = orchestrator.api();
      assertThat(api.put("/v1/workflows/nightly", "tokA", WORKFLOW).status()).isEqualTo(201);

      CompletableFuture<Response> inFlight =
          CompletableFuture.supplyAsync(() -> api.post("/v1/workflows/nightly/executions", "tokA", null));
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(orchestrator::stopServer);
      Thread.sleep(100);
      assertThat(closing).isNotDone(); // waiting for the request, not for a fixed delay
      release.countDown();

      assertThat(inFlight.get(10, TimeUnit.SECONDS).status()).isEqualTo(201);
      closing.get(10, TimeUnit.SECONDS);
    }
  }

  private static ExecutionLauncher blocking(ExecutionLauncher launcher, CountDownLatch entered,
      CountDownLatch release) {
    return (tenant, workflow, key) -> {
      entered.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return launcher.launch(tenant, workflow, key);
    };
  }
}
