package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.cli.security.RawHttp.Header;
import io.servo.cli.server.LocalTraces;
import io.servo.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every API route used with a valid token of another tenant: the victim (globex) has workflows and
 * an execution; the attacker (acme) reads, starts, deploys and pokes at them. Another tenant's
 * resources are answered exactly like missing ones (404, never 403), nothing changes in any table,
 * and nothing of the attacker's is traced under the victim's tenant.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CrossTenantApiAccess {
  static final AttributeKey<String> TENANT = AttributeKey.stringKey("servo.tenant.id");
  private static final String SHARED = """
      workflow: shared
      assets:
        - {name: one, kind: sql, sql: SELECT 1}
        - {name: private_step, kind: command, command: [sh, -c, 'echo globex-private-detail >&2; exit 1']}
      """;
  private static final String ONLY_B = "workflow: only_b\nassets: [{name: b1, kind: sql, sql: SELECT 2}]\n";
  /** Deployed by the victim only: no test deploys it as the attacker. */
  private static final String VICTIM_ONLY = "workflow: victim_only\nassets: [{name: v1, kind: sql, sql: SELECT 4}]\n";

  private SecurityStack stack;
  private String victimExecution;
  private String victimTraceId;
  /** The trace ids the attacker's requests started, so their spans can be told apart. */
  private final List<String> attackerTraces = new ArrayList<>();

  abstract SecurityStack.Builder database();

  @BeforeAll
  void start() {
    LocalTraces traces = new LocalTraces();
    // the shared workflow has a command asset: the operator granted both tenants that kind
    stack = database().env("SERVO_TENANT_GLOBEX_ASSET_KINDS", "sql,command,http")
        .env("SERVO_TENANT_ACME_ASSET_KINDS", "sql,command,http")
        .workerExporter(traces.newExporter()).orchestratorExporter(traces.newExporter())
        .waterfall((id, tenant) -> traces.waterfall(id, tenant)).start();
    JsonNode ended = stack.runToEnd(SecurityStack.GLOBEX_TOKEN, "shared", SHARED);
    victimExecution = ended.path("execution_id").asText();
    victimTraceId = ended.path("trace_id").asText();
    assertThat(ended.path("state").asText()).isEqualTo("failed");
    assertThat(stack.api(SecurityStack.GLOBEX_TOKEN).put("v1/workflows/only_b", ONLY_B.getBytes(StandardCharsets.UTF_8),
        "application/yaml").status()).isEqualTo(201);
    assertThat(stack.api(SecurityStack.GLOBEX_TOKEN).put("v1/workflows/victim_only",
        VICTIM_ONLY.getBytes(StandardCharsets.UTF_8), "application/yaml").status()).isEqualTo(201);
    stack.awaitQuiet();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** A request as the attacker, in a trace of its own. */
  private RawHttp.Response asAttacker(String method, String target, byte[] body, Header... extra) {
    String traceId = UUID.randomUUID().toString().replace("-", "");
    attackerTraces.add(traceId);
    List<Header> headers = new ArrayList<>(List.of(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN),
        new Header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")));
    headers.addAll(List.of(extra));
    return RawHttp.send(stack.apiPort(), method, target, headers, body);
  }

  private static JsonNode json(RawHttp.Response response) throws Exception {
    return Json.mapper().readTree(response.body());
  }

  @Test
  void anotherTenantsExecutionIsAnsweredLikeAMissingOne() throws Exception {
    String before = stack.dump();
    String missing = UUID.randomUUID().toString();

    RawHttp.Response victims = asAttacker("GET", "/v1/executions/" + victimExecution, null);
    RawHttp.Response withTrace = asAttacker("GET", "/v1/executions/" + victimExecution + "?include=trace", null);
    RawHttp.Response none = asAttacker("GET", "/v1/executions/" + missing, null);

    assertThat(victims.status()).isEqualTo(404);
    assertThat(withTrace.status()).isEqualTo(404);
    assertThat(victims.text().replace(victimExecution, "ID")).isEqualTo(none.text().replace(missing, "ID"));
    assertThat(victims.text() + withTrace.text()).doesNotContain("globex", "shared", victimTraceId);
    assertThat(stack.dump()).isEqualTo(before);
  }

  @Test
  void anotherTenantsWorkflowCannotBeStarted() throws Exception {
    String before = stack.dump();

    RawHttp.Response start = asAttacker("POST", "/v1/workflows/victim_only/executions", new byte[0]);
    RawHttp.Response keyed = asAttacker("POST", "/v1/workflows/victim_only/executions", new byte[0],
        new Header("Idempotency-Key", "k1"));

    assertThat(start.status()).as(start.text()).isEqualTo(404);
    assertThat(keyed.status()).as(keyed.text()).isEqualTo(404);
    assertThat(json(start).path("error").asText()).contains("is not deployed for tenant 'acme'");
    assertThat(stack.dump()).isEqualTo(before);
  }

  @Test
  void otherMethodsOnAnotherTenantsResourcesChangeNothing() {
    String before = stack.dump();
    for (String method : List.of("PUT", "POST", "DELETE", "PATCH")) {
      RawHttp.Response response = asAttacker(method, "/v1/executions/" + victimExecution, new byte[0]);
      assertThat(response.status()).as(method + " " + response.text()).isIn(404, 405);
    }
    for (String method : List.of("GET", "DELETE", "PATCH", "POST")) {
      RawHttp.Response response = asAttacker(method, "/v1/workflows/victim_only", new byte[0]);
      assertThat(response.status()).as(method + " " + response.text()).isIn(404, 405);
    }
    assertThat(stack.dump()).isEqualTo(before);
  }

  @Test
  void aDeployNeverTouchesAnotherTenantsWorkflow() throws Exception {
    String victimsDefinition = stack.storage.workflows().latest(SecurityStack.GLOBEX, "only_b").orElseThrow().definitionJson();
    String before = stack.dump();

    RawHttp.Response claimed = asAttacker("PUT", "/v1/workflows/only_b",
        "workflow: only_b\ntenant: globex\nassets: [{name: evil, kind: sql, sql: SELECT 3}]\n".getBytes(StandardCharsets.UTF_8),
        new Header("Content-Type", "application/yaml"));
    assertThat(claimed.status()).as(claimed.text()).isEqualTo(400);
    assertThat(stack.dump()).isEqualTo(before);

    RawHttp.Response own = asAttacker("PUT", "/v1/workflows/only_b",
        "workflow: only_b\nassets: [{name: evil, kind: sql, sql: SELECT 3}]\n".getBytes(StandardCharsets.UTF_8),
        new Header("Content-Type", "application/yaml"));
    assertThat(own.status()).as(own.text()).isEqualTo(201);
    assertThat(json(own).path("tenant").asText()).isEqualTo("acme");
    assertThat(stack.storage.workflows().latest(SecurityStack.GLOBEX, "only_b").orElseThrow().definitionJson())
        .isEqualTo(victimsDefinition);
    RawHttp.Response started = asAttacker("POST", "/v1/workflows/only_b/executions", new byte[0]);
    assertThat(started.status()).isEqualTo(201);
    stack.awaitQuiet();
    assertThat(stack.storage.executions().find(SecurityStack.GLOBEX, json(started).path("execution_id").asText())).isEmpty();
  }

  @Test
  void anIdempotencyKeyIsPerTenant() throws Exception {
    RawHttp.Response victims = RawHttp.send(stack.apiPort(), "POST", "/v1/workflows/only_b/executions",
        List.of(new Header("Authorization", "Bearer " + SecurityStack.GLOBEX_TOKEN), new Header("Idempotency-Key", "shared-key")),
        new byte[0]);
    assertThat(victims.status()).isEqualTo(201);
    stack.awaitQuiet();
    asAttacker("PUT", "/v1/workflows/only_b", ONLY_B.getBytes(StandardCharsets.UTF_8), new Header("Content-Type", "application/yaml"));

    RawHttp.Response attackers = asAttacker("POST", "/v1/workflows/only_b/executions", new byte[0],
        new Header("Idempotency-Key", "shared-key"));

    assertThat(attackers.status()).as(attackers.text()).isEqualTo(201);
    assertThat(json(attackers).path("execution_id").asText()).isNotEqualTo(json(victims).path("execution_id").asText());
    stack.awaitQuiet();
  }

  /**
   * An authenticated caller's {@code traceparent} is the parent of its request, so it may name any
   * trace id, another tenant's included; the in-memory trace view ({@code ?include=trace}, servo
   * dev/demo) then shows the victim's spans in the attacker's execution.
   */
  @Test
  void anotherTenantsTraceIsNotShownInOnesOwnExecution() throws Exception {
    asAttacker("PUT", "/v1/workflows/shared", SHARED.replace("globex-private-detail", "acme-detail")
        .getBytes(StandardCharsets.UTF_8), new Header("Content-Type", "application/yaml"));
    RawHttp.Response started = RawHttp.send(stack.apiPort(), "POST", "/v1/workflows/shared/executions",
        List.of(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN),
            new Header("traceparent", "00-" + victimTraceId + "-00f067aa0ba902b7-01")), new byte[0]);
    assertThat(started.status()).isEqualTo(201);
    stack.awaitQuiet();
    stack.flush();

    JsonNode own = stack.api(SecurityStack.ACME_TOKEN)
        .get("v1/executions/" + json(started).path("execution_id").asText() + "?include=trace").body();
    String waterfall = own.path("trace_waterfall").asText();

    assertThat(waterfall).contains("acme-detail");
    assertThat(waterfall).doesNotContain("globex-private-detail");
  }

  @Test
  void nothingOfTheAttackersIsTracedUnderTheVictimsTenant() {
    anotherTenantsWorkflowCannotBeStarted_quietly();
    List<SpanData> attackers = stack.spans().stream().filter(s -> attackerTraces.contains(s.getTraceId())).toList();

    assertThat(attackers).as("spans of the attacker's requests").isNotEmpty();
    assertThat(attackers).extracting(s -> s.getAttributes().get(TENANT)).doesNotContain(SecurityStack.GLOBEX);
    assertThat(attackers).extracting(SpanData::toString).noneMatch(s -> s.contains("victim_only") && s.contains("globex"));
  }

  private void anotherTenantsWorkflowCannotBeStarted_quietly() {
    asAttacker("GET", "/v1/executions/" + victimExecution, null);
    asAttacker("POST", "/v1/workflows/victim_only/executions", new byte[0]);
    asAttacker("POST", "/v1/workflows/shared/executions", new byte[0]);
    stack.awaitQuiet();
  }
}
