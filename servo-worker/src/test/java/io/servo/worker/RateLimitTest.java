package io.servo.worker;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.servo.storage.Execution;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code SERVO_RATE_LIMIT_PER_TENANT}: a tenant past its rate gets 429 and nothing runs. */
class RateLimitTest {
  @TempDir Path dir;
  private CallLog callee;
  private WorkerHarness worker;

  @BeforeEach
  void setUp() {
    callee = CallLog.start();
    // One execution per second per tenant, bursts of two.
    worker = WorkerHarness.start(dir, Map.of(), Map.of("SERVO_RATE_LIMIT_PER_TENANT", "1"));
    worker.clock().freeze();
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
  }

  private WorkerHarness.Task task(String tenant) {
    return worker.newExecution("""
        workflow: limited
        tenant: %s
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(tenant, callee.baseUrl()));
  }

  @Test
  void aTenantPastItsRateIsToldToRetryAndNothingRuns() {
    assertThat(worker.post(task("acme").body()).statusCode()).isEqualTo(200);
    assertThat(worker.post(task("acme").body()).statusCode()).isEqualTo(200);
    WorkerHarness.Task third = task("acme");
    Execution before = worker.storage().executions().find("acme", third.executionId()).orElseThrow();

    HttpResponse<String> limited = worker.post(third.body());

    assertThat(limited.statusCode()).as(limited.body()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("1");
    assertThat(json(limited).get("error").asText()).contains("SERVO_RATE_LIMIT_PER_TENANT");
    assertThat(worker.storage().executions().find("acme", third.executionId())).contains(before);
    assertThat(worker.storage().executions().assetResults("acme", third.executionId())).isEmpty();
    assertThat(callee.calls()).hasSize(2);

    // Another tenant has its own bucket.
    assertThat(worker.post(task("globex").body()).statusCode()).isEqualTo(200);

    // The queue's retry after Retry-After succeeds.
    worker.clock().advance(Duration.ofSeconds(1));
    HttpResponse<String> retried = worker.post(third.body());
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    assertThat(json(retried).get("state").asText()).isEqualTo("succeeded");
  }

  @Test
  void unauthenticatedRequestsDoNotSpendATenantsBudget() {
    WorkerHarness.Task task = task("acme");
    for (int i = 0; i < 5; i++) {
      assertThat(worker.post(task.body(), Map.of()).statusCode()).isEqualTo(401);
    }
    assertThat(worker.post(task.body()).statusCode()).isEqualTo(200);
  }
}
