package io.servo.cli.security;

import static io.servo.cli.security.TenantAttacks.assertNoSecret;
import static io.servo.cli.security.TenantAttacks.attack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.servo.cli.client.ApiClient;
import io.servo.cli.security.TenantAttacks.Outcome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tenant {@code acme} attacks tenant {@code globex} and the worker with nothing but its own API
 * token and workflow files, on one orchestrator and one worker in production mode on PostgreSQL.
 * The operator granted acme {@code command} (so its commands can be attacked) and three variables
 * of its own, and globex one variable. Each attack asserts: acme's execution fails or sees
 * nothing, globex's rows and tables are unchanged, and no worker secret appears in anything acme
 * can read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileTenantOnPostgresTest {
  private static final String DB_PASSWORD = "dbpw_Hq7Ws2Kx9Lm4Zt";
  private static final String GLOBEX_VALUE = "globex_var_Rf4Tg8Yh2Uj6";
  private static final String GLOBEX_ROW = "globex_row_Pz3Xc7Vb1Nm5";
  private static final String ACME_OWN = "acme_own_value_Lk2Mn4";
  private static final String ROLE = "servo_hostile_" + Long.toHexString(System.nanoTime());

  private SecurityStack stack;
  private HttpServer canary;
  private final AtomicInteger canaryHits = new AtomicInteger();
  private String victimBefore;
  private Set<String> secrets;

  @BeforeAll
  void start() throws Exception {
    canary = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    canary.createContext("/", exchange -> {
      canaryHits.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    canary.start();
    String localName = InetAddress.getLocalHost().getHostName();
    assertThat(InetAddress.getByName(localName).isLoopbackAddress() || InetAddress.getByName(localName).isSiteLocalAddress()
        || java.net.NetworkInterface.getByInetAddress(InetAddress.getByName(localName)) != null)
        .as("this machine's name resolves to one of its own addresses").isTrue();
    stack = SecurityStack.postgresAs(ROLE, DB_PASSWORD)
        .env("SERVO_TENANT_ACME_ASSET_KINDS", "sql,command,http")
        .env("SERVO_TENANT_ACME_ENV", "ACME_OWN,ACME_TARGET,ACME_META")
        .env("SERVO_TENANT_GLOBEX_ASSET_KINDS", "sql,command")
        .env("SERVO_TENANT_GLOBEX_ENV", "GLOBEX_TOKEN")
        .env("ACME_OWN", ACME_OWN)
        .env("ACME_TARGET", "http://" + localName + ":" + canary.getAddress().getPort() + "/steal")
        .env("ACME_META", "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token")
        .env("GLOBEX_TOKEN", GLOBEX_VALUE)
        .start();
    secrets = Set.of(SecurityStack.HMAC_SECRET, DB_PASSWORD, GLOBEX_VALUE, GLOBEX_ROW, SecurityStack.GLOBEX_TOKEN);

    // The victim: a table with a row worth stealing (analysed, so PostgreSQL's statistics hold its values).
    TenantAttacks.globexStoresASecret(stack, """
        INSERT INTO customers SELECT g, '%s' FROM generate_series(1, 50) g;
        ANALYZE customers;
        """.formatted(GLOBEX_ROW));
  }

  @BeforeEach
  void snapshotVictim() throws Exception {
    victimBefore = victim();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (canary != null) {
      canary.stop(0);
    }
  }

  /** globex's executions and results (Servo's rows) and its table, as text. */
  private String victim() throws Exception {
    StringBuilder out = new StringBuilder(stack.dump().lines()
        .filter(line -> line.startsWith("==") || line.contains("tenant_id=globex"))
        .reduce("", (a, b) -> a + b + "\n"));
    try (Connection c = stack.admin(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n"
             + " ON n.oid = c.relnamespace WHERE c.relname = 'customers' AND c.relkind = 'r'")) {
      while (rs.next()) {
        out.append(rs.getString(1)).append('\n');
        try (Statement s2 = c.createStatement();
             ResultSet rows = s2.executeQuery("SELECT count(*), min(secret) FROM " + quoted(rs.getString(1)))) {
          rows.next();
          out.append(rows.getLong(1)).append(' ').append(rows.getString(2)).append('\n');
        }
      }
    }
    assertThat(out).as("globex's table exists").contains(GLOBEX_ROW);
    return out.toString();
  }

  private static String quoted(String qualified) {
    int dot = qualified.indexOf('.');
    return "\"" + qualified.substring(0, dot) + "\".\"" + qualified.substring(dot + 1) + "\"";
  }

  private String globexSchema() throws Exception {
    try (Connection c = stack.admin(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT n.nspname FROM pg_class c JOIN pg_namespace n"
             + " ON n.oid = c.relnamespace WHERE c.relname = 'customers' AND c.relkind = 'r'")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Runs one attack as acme and asserts the three things every attack must leave true. */
  private Outcome acmeAttacks(String name, String yaml) throws Exception {
    Outcome outcome = attack(stack, SecurityStack.ACME_TOKEN, name, yaml);
    stack.awaitQuiet();
    assertThat(victim()).as("globex's rows and tables after acme's %s", name).isEqualTo(victimBefore);
    assertNoSecret(outcome.visible(), secrets);
    return outcome;
  }

  private Outcome sql(String name, String sql) throws Exception {
    return acmeAttacks(name, """
        workflow: %s
        assets:
          - name: a
            kind: sql
            sql: |
        %s
        """.formatted(name, sql.indent(6)));
  }

  private void assertSqlFails(String name, String sql, String why) throws Exception {
    Outcome outcome = sql(name, sql);
    assertThat(outcome.state()).as(name + ": " + outcome.assets()).isEqualTo("failed");
    assertThat(outcome.assets()).as(name).containsPattern("(?i)" + why);
  }

  @Test
  void acmeCannotReadServosExecutions() throws Exception {
    assertSqlFails("loot", "CREATE TABLE loot AS SELECT tenant_id, workflow, state FROM servo.executions;",
        "permission denied");
  }

  @Test
  void acmeCannotCancelGlobexsExecutions() throws Exception {
    assertSqlFails("cancel", "UPDATE servo.executions SET state = 'cancelled' WHERE tenant_id = 'globex';",
        "permission denied");
  }

  @Test
  void acmeCannotReadGlobexsTableByItsName() throws Exception {
    assertSqlFails("peek", "CREATE TABLE stolen AS SELECT * FROM \"" + globexSchema() + "\".customers;",
        "permission denied");
  }

  @Test
  void resetRoleLeavesAcmeAsItself() throws Exception {
    assertSqlFails("reset", "RESET ROLE;\nCREATE TABLE loot AS SELECT * FROM servo.executions;", "permission denied");
    // and the role it is: the error of a cast quotes the value
    Outcome who = sql("whoami", "RESET ROLE;\nSELECT CAST(session_user || '/' || current_user AS int);");
    assertThat(who.assets()).contains("acme").doesNotContain("\"" + ROLE);
  }

  @Test
  void acmeCannotBecomeAnotherRole() throws Exception {
    assertSqlFails("setrole", "SET ROLE " + ROLE + ";", "permission denied");
    assertSqlFails("setsession", "SET SESSION AUTHORIZATION " + ROLE + ";", "permission denied");
    assertSqlFails("setpostgres", "SET ROLE postgres;", "permission denied");
  }

  @Test
  void superuserEscapesFail() throws Exception {
    String denied = "permission denied|must be superuser|privileges of the";
    assertSqlFails("program", "COPY (SELECT 1) TO PROGRAM 'id';", denied);
    assertSqlFails("fromprogram", "CREATE TABLE t (x text);\nCOPY t FROM PROGRAM 'env';", denied);
    assertSqlFails("readfile", "SELECT pg_read_file('/etc/passwd');", denied);
    assertSqlFails("loimport", "SELECT lo_import('/etc/passwd');", denied);
    assertSqlFails("dblink", "CREATE EXTENSION dblink;", denied);
  }

  @Test
  void searchPathTricksFindNothingOfServos() throws Exception {
    assertSqlFails("searchpath", "SET search_path = servo, public;\nCREATE TABLE loot AS SELECT * FROM executions;",
        "does not exist");
  }

  @Test
  void theCatalogGivesNoOtherTenantsData() throws Exception {
    // Statistics hold a column's most common values: pg_stats shows only the caller's own tables.
    Outcome stats = sql("stats", "SELECT CAST((SELECT string_agg(most_common_vals::text, ',') FROM pg_stats"
        + " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) AS int);");
    assertThat(stats.assets()).doesNotContain(GLOBEX_ROW);
    Outcome source = sql("procs", "SELECT CAST((SELECT string_agg(prosrc, ',') FROM pg_proc p JOIN pg_namespace n"
        + " ON n.oid = p.pronamespace WHERE n.nspname = '" + globexSchema() + "') AS int);");
    assertThat(source.assets()).doesNotContain(GLOBEX_ROW);
  }

  @Test
  void servosOwnAndAnotherTenantsVariablesAreRefusedAtDeploy() throws Exception {
    for (String name : new String[] {"SERVO_HMAC_SECRET", "SERVO_DATABASE_URL", "GLOBEX_TOKEN", "SERVO_TENANT_GLOBEX_ENV"}) {
      Outcome outcome = acmeAttacks("env", """
          workflow: env
          assets:
            - name: leak
              kind: command
              command: [sh, -c, 'echo "$X" | base64']
              env: {X: "${env:%s}"}
          """.formatted(name));
      assertThat(outcome.deployStatus()).as(name).isEqualTo(403);
      assertThat(outcome.deployError()).contains("${env:" + name + "}");
    }
  }

  @Test
  void aCommandSeesNoWorkerProcessAndNoOtherTenantsFiles() throws Exception {
    Outcome outcome = acmeAttacks("procfs", """
        workflow: procfs
        assets:
          - name: look
            kind: command
            timeout: 20s
            command: [sh, -c, 'for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr "\\0" "\\n" < "$f"; done | base64 | tr -d "\\n" | tail -c 1500 >&2; grep -rls --exclude-dir=servo-cli "%s" "$TMPDIR/../.." /tmp/servo* >&2; ls /proc >&2; exit 3']
        """.formatted(GLOBEX_ROW.substring(0, 12)));
    assertThat(outcome.state()).as(outcome.assets()).isEqualTo("failed");
    assertThat(outcome.assets()).contains("exit code 3");

    // The worker (this JVM) holds every secret in its memory and environment: the command cannot
    // even name it.
    long worker = ProcessHandle.current().pid();
    Outcome parent = acmeAttacks("parent", """
        workflow: parent
        assets:
          - name: look
            kind: command
            timeout: 20s
            command: [sh, -c, 'cat /proc/%d/environ /proc/%d/cmdline /proc/%d/maps && echo READ-THE-WORKER; exit 0']
        """.formatted(worker, worker, worker));
    assertThat(parent.assets()).doesNotContain("READ-THE-WORKER");
  }

  @Test
  void aCommandCannotReadAnotherExecutionsFiles() throws Exception {
    String marker = "globex_scratch_" + Long.toHexString(System.nanoTime());
    // globex's execution writes a file into its private directory and is still running meanwhile
    ApiClient globex = stack.api(SecurityStack.GLOBEX_TOKEN);
    String yaml = """
        workflow: scratch
        assets:
          - name: keep
            kind: command
            timeout: 60s
            command: [sh, -c, 'echo %s > "$TMPDIR/secret.txt" && sleep 8']
        """.formatted(marker);
    assertThat(globex.put("v1/workflows/scratch", yaml.getBytes(StandardCharsets.UTF_8), "application/yaml").ok()).isTrue();
    String id = globex.post("v1/workflows/scratch/executions", null).body().path("execution_id").asText();
    // (scratch directories come and go while this looks: an error is a "not yet")
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
      try (Stream<Path> roots = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
        for (Path root : roots.filter(r -> r.getFileName().toString().startsWith("servo-scratch-")).toList()) {
          try (Stream<Path> files = Files.find(root, 3, (f, attributes) -> f.getFileName().toString().equals("secret.txt"))) {
            if (files.anyMatch(f -> readable(f).contains(marker))) {
              return true;
            }
          }
        }
        return false;
      }
    });

    Outcome outcome = attack(stack, SecurityStack.ACME_TOKEN, "scratch", """
        workflow: scratch
        assets:
          - name: steal
            kind: command
            timeout: 30s
            command: [sh, -c, 'cat /tmp/servo-scratch-*/*/*/secret.txt "$TMPDIR"/../../*/*/secret.txt; find /tmp /var/tmp /dev/shm -name secret.txt -exec cat {} + 2>/dev/null; exit 4']
        """);
    assertThat(outcome.assets()).contains("exit code 4").doesNotContain(marker);
    assertNoSecret(outcome.visible(), secrets);
    JsonNode victim = await().atMost(Duration.ofSeconds(60)).until(() -> globex.get("v1/executions/" + id).body(),
        e -> e != null && e.path("state").asText().equals("succeeded"));
    assertThat(victim.path("assets").toString()).doesNotContain("acme");
    stack.awaitQuiet();
  }

  private static String readable(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void aCommandHasNoNetwork() throws Exception {
    int before = canaryHits.get();
    Outcome outcome = acmeAttacks("net", """
        workflow: net
        assets:
          - name: meta
            kind: command
            timeout: 10s
            command: [bash, -c, 'exec 3<>/dev/tcp/169.254.169.254/80 && echo METADATA-REACHED']
          - name: loop
            kind: command
            timeout: 10s
            command: [bash, -c, 'exec 3<>/dev/tcp/127.0.0.1/%d && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && echo LOOPBACK-REACHED']
        """.formatted(canary.getAddress().getPort()));
    assertThat(outcome.state()).isEqualTo("failed");
    assertThat(outcome.assets()).doesNotContain("METADATA-REACHED").doesNotContain("LOOPBACK-REACHED");
    assertThat(canaryHits.get()).isEqualTo(before);
  }

  @Test
  void httpToMetadataLoopbackOrThisMachineIsRefused() throws Exception {
    int before = canaryHits.get();
    for (String url : new String[] {"http://169.254.169.254/computeMetadata/v1/",
        "http://[::1]:" + canary.getAddress().getPort() + "/", "http://metadata.google.internal/"}) {
      Outcome literal = acmeAttacks("http", """
          workflow: http
          assets:
            - name: steal
              kind: http
              url: "%s"
          """.formatted(url));
      assertThat(literal.deployStatus()).as(url).isEqualTo(403);
    }
    for (String variable : new String[] {"ACME_TARGET", "ACME_META"}) {
      Outcome viaName = acmeAttacks("http", """
          workflow: http
          assets:
            - name: steal
              kind: http
              url: "${env:%s}"
          """.formatted(variable));
      assertThat(viaName.state()).as(viaName.assets()).isEqualTo("failed");
      assertThat(viaName.assets()).contains("refused");
    }
    assertThat(canaryHits.get()).as("nothing reached this machine's own port").isEqualTo(before);
  }

  @Test
  void benignWorkflowsOfBothTenantsStillWork() throws Exception {
    TenantAttacks.bothTenantsUseTheirOwnTables(stack);
    Outcome granted = attack(stack, SecurityStack.ACME_TOKEN, "own", """
        workflow: own
        assets:
          - name: check
            kind: command
            command: [sh, -c, 'test "$K" = "%s"']
            env: {K: "${env:ACME_OWN}"}
        """.formatted(ACME_OWN));
    assertThat(granted.state()).as(granted.assets()).isEqualTo("succeeded");
  }
}
