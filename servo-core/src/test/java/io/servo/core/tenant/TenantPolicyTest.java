package io.servo.core.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.core.workflow.AssetKind;
import io.servo.core.workflow.Workflow;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.settings.SettingsException;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TenantPolicyTest {
  private static final String WORKFLOW = """
      workflow: w
      tenant: %s
      assets:
        - name: load
          kind: sql
          sql: SELECT 1
        - name: clean
          kind: command
          command: [true]
          env: {KEY: "${env:ACME_KEY}", OTHER: "${env:GLOBEX_KEY}"}
        - name: hook
          kind: http
          url: "${env:ACME_URL}"
          headers: {Authorization: "Bearer ${env:SERVO_HMAC_SECRET}"}
        - name: meta
          kind: http
          url: http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token
      """;

  @Test
  void nothingIsGrantedByDefaultAndCommandIsOffOutsideDevelopment() {
    TenantGrants production = TenantPolicy.defaults(false).grants("acme");
    assertThat(production.mayResolve("ANYTHING")).isFalse();
    assertThat(production.assetKinds()).containsExactlyInAnyOrder(AssetKind.SQL, AssetKind.HTTP);
    assertThat(production.httpHosts()).isEmpty();
    assertThat(production.commandNetwork()).isFalse();
    assertThat(TenantPolicy.defaults(true).grants("acme").assetKinds()).containsExactlyInAnyOrder(AssetKind.values());
  }

  @Test
  void grantsAreReadPerTenantAndNeverReachServosOwnVariables() {
    TenantPolicy policy = TenantPolicy.fromEnvironment(Map.of(
        "SERVO_TENANT_ACME_ENV", "ACME_KEY, ACME_URL",
        "SERVO_TENANT_ACME_EU_ENV", "EU_*",
        "SERVO_TENANT_ACME_ASSET_KINDS", "sql,command",
        "SERVO_TENANT_ACME_HTTP_HOSTS", "localhost:9000,[::1],fe80::1",
        "SERVO_TENANT_GLOBEX_ENV", "*"), false);
    TenantGrants acme = policy.grants("acme");
    assertThat(acme.mayResolve("ACME_KEY")).isTrue();
    assertThat(acme.mayResolve("GLOBEX_KEY")).as("another tenant's grant").isFalse();
    assertThat(acme.mayUse(AssetKind.COMMAND)).isTrue();
    assertThat(acme.mayUse(AssetKind.HTTP)).isFalse();
    assertThat(acme.mayReach("localhost", 9000)).isTrue();
    assertThat(acme.mayReach("localhost", 9001)).isFalse();
    assertThat(acme.mayReach("[::1]", 1234)).isTrue();
    assertThat(acme.mayReach("[fe80::1]", 80)).as("a bare IPv6 grant").isTrue();
    assertThat(policy.grants("acme-eu").mayResolve("EU_TOKEN")).isTrue();
    assertThat(policy.grants("acme-eu").mayResolve("ACME_KEY")).isFalse();
    TenantGrants globex = policy.grants("globex");
    assertThat(globex.mayResolve("GLOBEX_KEY")).isTrue();
    for (String reserved : Set.of("SERVO_HMAC_SECRET", "SERVO_DATABASE_URL", "SERVO_TENANT_ACME_WAREHOUSE_URL",
        "GOOGLE_APPLICATION_CREDENTIALS", "OTEL_EXPORTER_OTLP_HEADERS", "K_SERVICE", "JAVA_TOOL_OPTIONS",
        "PGPASSWORD", "GCP_PROJECT_ID", "PORT")) {
      assertThat(globex.mayResolve(reserved)).as(reserved + " even under '*'").isFalse();
    }
  }

  @Test
  void deployProblemsNameTheAssetTheVariableAndTheGrant() {
    TenantPolicy policy = TenantPolicy.fromEnvironment(Map.of(
        "SERVO_TENANT_ACME_ENV", "ACME_KEY,ACME_URL", "SERVO_TENANT_GLOBEX_ENV", "GLOBEX_KEY"), false);
    Workflow workflow = WorkflowLoader.parse(WORKFLOW.formatted("acme"));
    assertThat(policy.problems(workflow)).containsExactly(
        "asset 'clean': kind 'command' is not granted to tenant 'acme' (it may use sql,http); an operator grants it"
            + " with SERVO_TENANT_ACME_ASSET_KINDS=sql,command,http on the orchestrator and the worker",
        "asset 'clean': ${env:GLOBEX_KEY} is not granted to tenant 'acme'; an operator grants it by adding"
            + " GLOBEX_KEY to SERVO_TENANT_ACME_ENV on the orchestrator and the worker",
        "asset 'hook': ${env:SERVO_HMAC_SECRET} names a variable of Servo's or the platform's, which no workflow"
            + " may read; use a variable of your own, which an operator grants with SERVO_TENANT_ACME_ENV",
        "asset 'meta': url host '169.254.169.254' is a loopback, link-local or metadata address, which http"
            + " assets may not reach; an operator allows it with SERVO_TENANT_ACME_HTTP_HOSTS=169.254.169.254:80"
            + " on the orchestrator and the worker (never do this for the metadata server: it hands out the"
            + " worker's cloud identity)");
  }

  @Test
  void everyUnusableGrantIsReportedAtOnce() {
    assertThatThrownBy(() -> TenantPolicy.fromEnvironment(Map.of(
        "SERVO_TENANT_ACME_ENV", "SERVO_HMAC_SECRET,bad-name",
        "SERVO_TENANT_ACME_ASSET_KINDS", "sql,spark",
        "SERVO_TENANT_ACME_HTTP_HOSTS", "http://x/",
        "SERVO_TENANT_ACME_COMMAND_NETWORK", "yes",
        "SERVO_TENANT_ACME_WORKER_URL", "https://acme-worker.example",
        "SERVO_TENANT_ACME_COLOUR", "blue"), false))
        .isInstanceOfSatisfying(SettingsException.class, e -> assertThat(e.problems()).hasSize(7)
            .extracting(SettingsException.Problem::message)
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_ENV: SERVO_HMAC_SECRET is one of"))
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_ENV has invalid entry 'bad-name': expected variable names"))
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_ASSET_KINDS has invalid entry 'spark': expected a comma-separated list of sql, command and http"))
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_HTTP_HOSTS has invalid entry 'http://x/': expected host or host:port"))
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_COMMAND_NETWORK has invalid value 'yes': expected true or false"))
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_WORKER_URL is set but SERVO_TENANT_ACME_HMAC_SECRET is not"))
            .anySatisfy(p -> assertThat(p).startsWith("SERVO_TENANT_ACME_COLOUR is not a tenant grant")));
  }

  @Test
  void aTenantsOwnWorkerComesWithItsOwnKey() {
    TenantPolicy policy = TenantPolicy.fromEnvironment(Map.of(
        "SERVO_TENANT_ACME_WORKER_URL", "https://acme-worker.example",
        "SERVO_TENANT_ACME_HMAC_SECRET", "k".repeat(40)), false);
    assertThat(policy.route("acme")).hasValueSatisfying(r -> {
      assertThat(r.url()).hasToString("https://acme-worker.example");
      assertThat(r.toString()).doesNotContain("kkkk");
    });
    assertThat(policy.route("globex")).isEmpty();
  }

  @Test
  void tenantsThatWouldShareGrantVariablesAreNamed() {
    assertThat(TenantPolicy.conflicts(Set.of("acme", "ACME", "a-b", "a_b", "globex"))).hasSize(2);
    assertThat(TenantPolicy.conflicts(Set.of("acme", "globex"))).isEmpty();
  }
}
