package io.servo.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import io.servo.orchestrator.testing.ApiClient.Response;
import io.servo.orchestrator.testing.TestOrchestrator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkflowApiTest {
  /** Assets declared out of order: the plan puts raw_orders first. */
  static final String DAILY_SALES_YAML = """
      workflow: daily_sales
      assets:
        - name: cleaned_orders
          kind: command
          command: [python3, scripts/clean.py]
          env: {API_KEY: "${env:API_KEY}"}
          timeout: 5m
          depends_on: [raw_orders]
        - name: raw_orders
          kind: sql
          sql: CREATE TABLE raw_orders (id INT)
        - name: notify
          kind: http
          method: POST
          url: http://localhost:9000/hook
          depends_on: [cleaned_orders]
      """;

  @TempDir Path dir;
  private TestOrchestrator orchestrator;

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = TestOrchestrator.start(dir);
  }

  @AfterEach
  void tearDown() {
    orchestrator.close();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void aWorkflowThatNeedsWhatItsTenantWasNotGrantedIsRefusedAndNothingIsStored() throws Exception {
    Response refused = orchestrator.api().put("/v1/workflows/daily_sales", "tokB", DAILY_SALES_YAML);

    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("error").asText())
        .startsWith("the workflow needs what tenant 'b' was not granted (2 problems)");
    assertThat(strings(refused.json().get("problems"))).containsExactly(
        "asset 'cleaned_orders': ${env:API_KEY} is not granted to tenant 'b'; an operator grants it by adding"
            + " API_KEY to SERVO_TENANT_B_ENV on the orchestrator and the worker",
        "asset 'notify': url host 'localhost' is a loopback, link-local or metadata address, which http assets"
            + " may not reach; an operator allows it with SERVO_TENANT_B_HTTP_HOSTS=localhost:9000 on the"
            + " orchestrator and the worker");
    assertThat(orchestrator.storage.workflows().latest("b", "daily_sales")).isEmpty();
    // the same file is accepted for tenant a, which was granted both
    assertThat(orchestrator.api().put("/v1/workflows/daily_sales", "tokA", DAILY_SALES_YAML).status()).isEqualTo(201);
  }

  @Test
  void deploysYamlAndVersionsChanges() throws Exception {
    Response first = orchestrator.api().put("/v1/workflows/daily_sales", "tokA", DAILY_SALES_YAML);

    assertThat(first.status()).isEqualTo(201);
    assertThat(first.json().get("workflow").asText()).isEqualTo("daily_sales");
    assertThat(first.json().get("tenant").asText()).isEqualTo("a");
    assertThat(first.json().get("version").asInt()).isEqualTo(1);
    assertThat(strings(first.json().get("assets"))).containsExactly("raw_orders", "cleaned_orders", "notify");
    assertThat(first.header("Content-Type")).isEqualTo("application/json");

    Response same = orchestrator.api().put("/v1/workflows/daily_sales", "tokA", DAILY_SALES_YAML);
    assertThat(same.status()).isEqualTo(200);
    assertThat(same.json().get("version").asInt()).isEqualTo(1);

    Response changed = orchestrator.api().put("/v1/workflows/daily_sales", "tokA",
        DAILY_SALES_YAML.replace("5m", "10m"));
    assertThat(changed.status()).isEqualTo(201);
    assertThat(changed.json().get("version").asInt()).isEqualTo(2);

    var stored = orchestrator.storage.workflows().latest("a", "daily_sales").orElseThrow();
    JsonNode definition = Json.mapper().readTree(stored.definitionJson());
    assertThat(definition.get("tenant").asText()).isEqualTo("a");
    assertThat(definition.get("assets").get(0).get("timeout").asText()).isEqualTo("10m");
    // the ${env:…} reference is stored as written, never resolved
    assertThat(stored.definitionJson()).contains("${env:API_KEY}");
  }

  @Test
  void deploysJson() {
    String json = """
        {"workflow": "hello", "tenant": "b",
         "assets": [{"name": "ping", "kind": "http", "url": "https://example.com/ping"}]}
        """;

    Response r = orchestrator.api().put("/v1/workflows/hello", "tokB", json);

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().get("tenant").asText()).isEqualTo("b");
    assertThat(strings(r.json().get("assets"))).containsExactly("ping");
    assertThat(orchestrator.storage.workflows().latest("b", "hello")).isPresent();
  }

  @Test
  void listsEveryValidationProblemAndStoresNothing() {
    String bad = """
        workflow: broken
        colour: blue
        assets:
          - name: a
            kind: sql
          - name: b
            kind: teleport
          - name: c
            kind: command
            command: [echo]
            timeout: soon
          - name: d
            kind: sql
            sql: SELECT 1
            depends_on: [missing]
        """;

    Response r = orchestrator.api().put("/v1/workflows/broken", "tokA", bad);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("not valid").contains("fix each problem");
    assertThat(strings(r.json().get("problems"))).hasSize(5).anySatisfy(p -> assertThat(p).contains("colour"))
        .anySatisfy(p -> assertThat(p).contains("asset 'a'").contains("'sql'"))
        .anySatisfy(p -> assertThat(p).contains("teleport"))
        .anySatisfy(p -> assertThat(p).contains("unknown asset 'missing'"))
        .anySatisfy(p -> assertThat(p).contains("bad duration 'soon'"));
    assertThat(orchestrator.storage.workflows().latest("a", "broken")).isEmpty();
  }

  @Test
  void rejectsSyntaxErrorsAndCycles() {
    Response syntax = orchestrator.api().put("/v1/workflows/x", "tokA", "workflow: x\nassets: [unclosed\n");
    assertThat(syntax.status()).isEqualTo(400);
    assertThat(strings(syntax.json().get("problems"))).singleElement().asString().contains("not valid YAML or JSON");

    String cycle = """
        workflow: x
        assets:
          - {name: p, kind: sql, sql: SELECT 1, depends_on: [q]}
          - {name: q, kind: sql, sql: SELECT 1, depends_on: [p]}
        """;
    Response cyc = orchestrator.api().put("/v1/workflows/x", "tokA", cycle);
    assertThat(cyc.status()).isEqualTo(400);
    assertThat(strings(cyc.json().get("problems"))).singleElement().asString().contains("dependency cycle");
    assertThat(orchestrator.storage.workflows().latest("a", "x")).isEmpty();
  }

  @Test
  void rejectsANameThatDiffersFromThePath() {
    Response r = orchestrator.api().put("/v1/workflows/other_name", "tokA", DAILY_SALES_YAML);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText())
        .contains("defines workflow 'daily_sales'").contains("/v1/workflows/other_name");
    assertThat(orchestrator.storage.workflows().latest("a", "other_name")).isEmpty();
    assertThat(orchestrator.storage.workflows().latest("a", "daily_sales")).isEmpty();
  }

  @Test
  void rejectsAnInvalidNameInThePath() {
    Response r = orchestrator.api().put("/v1/workflows/bad.name", "tokA", DAILY_SALES_YAML);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("invalid workflow name 'bad.name'");
  }

  @Test
  void rejectsAFileForAnotherTenant() {
    Response other = orchestrator.api().put("/v1/workflows/daily_sales", "tokA",
        "tenant: b\n" + DAILY_SALES_YAML);
    assertThat(other.status()).isEqualTo(400);
    assertThat(other.json().get("error").asText())
        .contains("tenant 'b'").contains("your token belongs to tenant 'a'");

    Response explicitDefault = orchestrator.api().put("/v1/workflows/daily_sales", "tokA",
        "tenant: default\n" + DAILY_SALES_YAML);
    assertThat(explicitDefault.status()).isEqualTo(400);
    assertThat(orchestrator.storage.workflows().latest("a", "daily_sales")).isEmpty();
    assertThat(orchestrator.storage.workflows().latest("b", "daily_sales")).isEmpty();

    Response own = orchestrator.api().put("/v1/workflows/daily_sales", "tokA", "tenant: a\n" + DAILY_SALES_YAML);
    assertThat(own.status()).isEqualTo(201);
  }

  @Test
  void rejectsABodyOverTheLimit() {
    byte[] big = new byte[4097];
    java.util.Arrays.fill(big, (byte) '#');

    Response r = orchestrator.api().put("/v1/workflows/big", "tokA", big);

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().get("error").asText()).contains("4096 bytes").contains("SERVO_MAX_BODY_BYTES");
  }

  @Test
  void requiresAValidTokenAndChangesNothingWithout() {
    Response missing = orchestrator.api().put("/v1/workflows/daily_sales", null, DAILY_SALES_YAML);
    Response wrong = orchestrator.api().put("/v1/workflows/daily_sales", "tokC", DAILY_SALES_YAML);

    for (Response r : List.of(missing, wrong)) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
      assertThat(r.json().get("error").asText()).contains("Authorization: Bearer");
    }
    assertThat(orchestrator.storage.workflows().latest("a", "daily_sales")).isEmpty();
    assertThat(orchestrator.storage.workflows().latest("default", "daily_sales")).isEmpty();
  }

  @Test
  void answersHealthUnknownRoutesAndWrongMethods() {
    assertThat(orchestrator.api().get("/health", null).status()).isEqualTo(200);

    Response unknown = orchestrator.api().get("/v2/nothing", "tokA");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("error").asText()).contains("PUT /v1/workflows/{name}");

    Response wrongMethod = orchestrator.api().method("DELETE", "/v1/workflows/daily_sales", "tokA");
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.header("Allow")).isEqualTo("PUT");
    assertThat(wrongMethod.json().get("error").asText()).contains("use PUT");

    assertThat(orchestrator.api().get("/v1/workflows/x/executions", "tokA").header("Allow")).isEqualTo("POST");
  }
}
