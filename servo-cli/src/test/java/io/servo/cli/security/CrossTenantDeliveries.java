package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.cli.security.RawHttp.Header;
import io.servo.core.execution.ExecutionState;
import io.servo.core.json.Json;
import io.servo.core.task.TraceMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The worker with validly signed tasks whose payload names one tenant but an execution of another.
 * The orchestrator's queue delivers nowhere, so the victim's execution stays pending (claimable):
 * a task naming another tenant is answered 404 and claims nothing; the victim's own task runs it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CrossTenantDeliveries {
  private static final AttributeKey<String> TENANT = AttributeKey.stringKey("servo.tenant.id");
  private static final String TINY = "workflow: tiny\nassets: [{name: one, kind: sql, sql: SELECT 1}]\n";

  private SecurityStack stack;
  private String victimExecution;
  private final List<String> attackerTraces = new ArrayList<>();

  abstract SecurityStack.Builder database();

  @BeforeAll
  void start() {
    // The queue delivers to a closed port: executions stay pending until a test delivers them.
    stack = database().serviceEnv("orchestrator", "SERVO_WORKER_URL", "http://127.0.0.1:1").start();
    for (String token : List.of(SecurityStack.ACME_TOKEN, SecurityStack.GLOBEX_TOKEN)) {
      assertThat(stack.api(token).put("v1/workflows/tiny", TINY.getBytes(StandardCharsets.UTF_8), "application/yaml")
          .status()).isEqualTo(201);
    }
    victimExecution = stack.api(SecurityStack.ACME_TOKEN).post("v1/workflows/tiny/executions", null).body()
        .path("execution_id").asText();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private RawHttp.Response deliver(byte[] body) {
    List<Header> headers = new ArrayList<>(SignedTasks.signature(body));
    return RawHttp.send(stack.workerPort(), "POST", "/execute", headers, body);
  }

  private byte[] attackerPayload(String tenant, String executionId) {
    String traceId = UUID.randomUUID().toString().replace("-", "");
    attackerTraces.add(traceId);
    return SignedTasks.payload(stack.storage, tenant, "tiny", executionId,
        new TraceMetadata("00-" + traceId + "-00f067aa0ba902b7-01", null));
  }

  @Test
  void aTaskNamingAnotherTenantClaimsNothing() throws Exception {
    assertThat(stack.storage.executions().find(SecurityStack.ACME, victimExecution).orElseThrow().state())
        .isEqualTo(ExecutionState.PENDING);
    String before = stack.dump();

    RawHttp.Response wrongTenant = deliver(attackerPayload(SecurityStack.GLOBEX, victimExecution));
    // The victim's tenant in the payload, the attacker's definition: the payload contradicts itself.
    ObjectNode mixed = (ObjectNode) Json.mapper().readTree(attackerPayload(SecurityStack.GLOBEX, victimExecution));
    mixed.put("tenant", SecurityStack.ACME);
    RawHttp.Response contradictory = deliver(Json.mapper().writeValueAsBytes(mixed));

    assertThat(wrongTenant.status()).as(wrongTenant.text()).isEqualTo(404);
    assertThat(contradictory.status()).as(contradictory.text()).isEqualTo(400);
    assertThat(stack.dump()).isEqualTo(before);
    assertThat(stack.storage.executions().find(SecurityStack.ACME, victimExecution).orElseThrow().state())
        .isEqualTo(ExecutionState.PENDING);

    List<SpanData> spans = stack.spans().stream().filter(s -> attackerTraces.contains(s.getTraceId())).toList();
    assertThat(spans).as("the signed 404 delivery is traced").isNotEmpty();
    assertThat(spans).extracting(s -> s.getAttributes().get(TENANT)).doesNotContain(SecurityStack.ACME);

    // The owner's own task runs it: it was claimable all along.
    RawHttp.Response owner = deliver(SignedTasks.payload(stack.storage, SecurityStack.ACME, "tiny", victimExecution,
        new TraceMetadata(null, null)));
    assertThat(owner.status()).as(owner.text()).isEqualTo(200);
    JsonNode answer = Json.mapper().readTree(owner.body());
    assertThat(answer.path("state").asText()).isEqualTo("succeeded");
    await().atMost(Duration.ofSeconds(5)).until(() ->
        stack.storage.executions().find(SecurityStack.ACME, victimExecution).orElseThrow().state() == ExecutionState.SUCCEEDED);
  }
}
