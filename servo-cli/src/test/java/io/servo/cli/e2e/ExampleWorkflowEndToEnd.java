package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.servo.cli.client.ApiClient;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The example workflow through orchestrator → outbox → local queue → worker → database, on each
 * supported database, checked where a user would look: the API, the database and the warehouse.
 */
abstract class ExampleWorkflowEndToEnd {
  private static final String REPORT_API_KEY = "rk_live_example_secret_0001";
  private static final String HOOK_TOKEN = "hook-secret-token-0002";

  private final List<String> hookAuthorizations = new CopyOnWriteArrayList<>();
  private HttpServer hook;
  private LocalStack stack;

  abstract String databaseUrl() throws Exception;

  abstract Connection warehouse() throws Exception;

  @BeforeEach
  void start() throws Exception {
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    hook.createContext("/hook", exchange -> {
      hookAuthorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    hook.start();
    stack = LocalStack.start(databaseUrl(), Map.of(
        "REPORT_API_KEY", REPORT_API_KEY,
        "HOOK_TOKEN", HOOK_TOKEN,
        "NOTIFY_URL", "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook",
        // what the operator grants the example's tenant: its three variables and the local hook
        "SERVO_TENANT_DEFAULT_ENV", "REPORT_API_KEY,HOOK_TOKEN,NOTIFY_URL",
        "SERVO_TENANT_DEFAULT_HTTP_HOSTS", "127.0.0.1:" + hook.getAddress().getPort()));
  }

  @AfterEach
  void stop() {
    if (stack != null) {
      stack.close();
    }
    hook.stop(0);
  }

  @Test
  void theExampleWorkflowRunsEndToEnd() throws Exception {
    ApiClient api = stack.api(null);
    byte[] file = Files.readAllBytes(LocalStack.HOME.resolve("examples/daily_sales.yaml"));

    ApiClient.Answer deployed = api.put("v1/workflows/daily_sales", file, "application/yaml");
    assertThat(deployed.status()).as(deployed.errorText()).isIn(200, 201);
    ApiClient.Answer started = api.post("v1/workflows/daily_sales/executions", "key-1");
    assertThat(started.status()).isEqualTo(201);
    String id = started.body().path("execution_id").asText();

    JsonNode ended = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> api.get("v1/executions/" + id).body(),
            e -> ExecutionState.fromWireName(e.path("state").asText()).map(ExecutionState::isEnded).orElse(false));

    assertThat(ended.path("state").asText()).as(ended.toString()).isEqualTo("succeeded");
    assertThat(ended.path("assets")).extracting(a -> a.path("name").asText() + ":" + a.path("status").asText())
        .containsExactly("raw_orders:succeeded", "daily_totals:succeeded", "cleaned_orders:succeeded", "notify:succeeded");

    Execution row = stack.storage.executions().find("default", id).orElseThrow();
    assertThat(row.state()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(row.attempt()).isEqualTo(1);
    List<AssetResult> results = stack.storage.executions().assetResults("default", id);
    assertThat(results).extracting(AssetResult::status).containsOnly(AssetStatus.SUCCEEDED).hasSize(4);
    assertThat(stack.storage.outbox().pendingFor("default", id)).isEmpty();

    try (Connection warehouse = warehouse();
        ResultSet rs = warehouse.createStatement().executeQuery(
            "SELECT region, orders, total_cents FROM daily_totals ORDER BY region")) {
      StringBuilder rows = new StringBuilder();
      while (rs.next()) {
        rows.append(rs.getString(1)).append('=').append(rs.getInt(2)).append('/').append(rs.getLong(3)).append(' ');
      }
      assertThat(rows.toString().trim()).isEqualTo("amer=1/9900 apac=1/3000 emea=2/1725");
    }
    assertThat(hookAuthorizations).containsExactly("Bearer " + HOOK_TOKEN);

    // The resolved ${env:…} values reached the subprocess and the webhook, and nothing else.
    assertThat(ended.toString()).doesNotContain(REPORT_API_KEY, HOOK_TOKEN);
    assertThat(results.toString()).doesNotContain(REPORT_API_KEY, HOOK_TOKEN);

    // The same idempotency key returns the same execution and runs nothing again.
    ApiClient.Answer again = api.post("v1/workflows/daily_sales/executions", "key-1");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.body().path("execution_id").asText()).isEqualTo(id);
    Thread.sleep(500);
    assertThat(hookAuthorizations).hasSize(1);
  }
}
