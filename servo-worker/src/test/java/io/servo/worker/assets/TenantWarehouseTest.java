package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.core.execution.AssetStatus;
import io.servo.core.workflow.SqlAsset;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants share a warehouse but not their data: on PostgreSQL each tenant's statements log in as a
 * role of its own that owns only its own schema; on SQLite each has a file of its own. Servo's own
 * tables, other tenants' tables and the server's files and programs are out of reach.
 */
class TenantWarehouseTest {
  private static final byte[] SECRET = "worker-secret-0123456789abcdef-0123456789".getBytes(StandardCharsets.UTF_8);
  private static final String EXAMPLE = """
      DROP TABLE IF EXISTS raw_orders;
      DROP TABLE IF EXISTS daily_totals;
      CREATE TABLE raw_orders (id INTEGER, day TEXT, amount INTEGER);
      INSERT INTO raw_orders VALUES (1, '2024-01-01', 10), (2, '2024-01-01', 5), (3, '2024-01-02', 7);
      CREATE TABLE daily_totals AS SELECT day, SUM(amount) AS total FROM raw_orders GROUP BY day;
      SELECT * FROM daily_totals;
      """;

  @TempDir Path dir;
  private PostgresTestDatabase database;
  private String databaseName;
  private final List<Warehouse> warehouses = new ArrayList<>();
  private final List<String> extraRoles = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    warehouses.forEach(Warehouse::close);
    if (database != null) {
      try (Connection admin = database.connect(); Statement s = admin.createStatement()) {
        List<String> roles = new ArrayList<>(extraRoles);
        roles.add(PostgresTenantRoles.roleName(databaseName, "acme"));
        roles.add(PostgresTenantRoles.roleName(databaseName, "globex"));
        for (String role : roles) {
          if (exists(admin, role)) {
            s.execute("DROP OWNED BY " + PostgresTenantRoles.quote(role) + " CASCADE");
            s.execute("DROP ROLE " + PostgresTenantRoles.quote(role));
          }
        }
      } finally {
        database.close();
      }
    }
  }

  // ---- PostgreSQL ----

  @Test
  void eachTenantCreatesAndReadsItsOwnTablesInItsOwnSchema() throws Exception {
    Warehouse warehouse = postgres();
    SqlRunner runner = new SqlRunner(warehouse);

    for (String tenant : List.of("acme", "globex", "acme")) { // twice: DROP TABLE IF EXISTS, re-provisioned
      AssetOutcome outcome = runner.run(TestContexts.of(tenant), asset(EXAMPLE));
      assertThat(outcome.status()).as(outcome.toString()).isEqualTo(AssetStatus.SUCCEEDED);
      assertThat(outcome.output()).endsWith("statement 6: 2 rows returned");
    }
    try (Connection admin = database.connect()) {
      assertThat(count(admin, "SELECT count(*) FROM \"tenant_acme\".daily_totals")).isEqualTo(2);
      assertThat(count(admin, "SELECT count(*) FROM \"tenant_globex\".raw_orders")).isEqualTo(3);
      assertThat(count(admin, "SELECT count(*) FROM pg_tables WHERE tablename = 'raw_orders'"))
          .as("only in the tenants' schemas").isEqualTo(2);
      assertThat(string(admin, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'tenant_acme'"))
          .isEqualTo(PostgresTenantRoles.quote(PostgresTenantRoles.roleName(databaseName, "acme")).replace("\"", ""));
    }
  }

  @Test
  void everyAttackOfOneTenantFailsAndLeavesServoAndTheOtherTenantUnchanged() throws Exception {
    Warehouse warehouse = postgres();
    SqlRunner runner = new SqlRunner(warehouse);
    assertThat(runner.run(TestContexts.of("globex"), asset(EXAMPLE)).status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(runner.run(TestContexts.of("acme"), asset(EXAMPLE)).status()).isEqualTo(AssetStatus.SUCCEEDED);
    String acmeRole = PostgresTenantRoles.quote(PostgresTenantRoles.roleName(databaseName, "acme"));

    List<String> attacks = List.of(
        "SELECT * FROM servo.executions",
        "UPDATE servo.executions SET state = 'cancelled' WHERE tenant_id = 'globex'",
        "DELETE FROM servo.executions",
        "SELECT * FROM tenant_globex.raw_orders",
        "SELECT * FROM \"tenant_globex\".daily_totals",
        "DROP TABLE tenant_globex.raw_orders",
        "INSERT INTO tenant_globex.raw_orders VALUES (9, 'x', 1)",
        "RESET ROLE; SELECT * FROM servo.executions",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "RESET SESSION AUTHORIZATION; SELECT * FROM servo.executions",
        "COPY (SELECT 1) TO PROGRAM 'id'",
        "COPY servo.executions TO STDOUT",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT lo_import('/etc/passwd')",
        "CREATE EXTENSION dblink",
        "CREATE SCHEMA evil",
        "CREATE TABLE public.evil (x INTEGER)",
        "SET search_path = servo, public; SELECT * FROM executions",
        "SET search_path = tenant_globex; SELECT * FROM raw_orders",
        "ALTER ROLE " + acmeRole + " SUPERUSER",
        "ALTER ROLE " + acmeRole + " BYPASSRLS",
        "GRANT pg_read_server_files TO " + acmeRole,
        "GRANT postgres TO " + acmeRole,
        "ALTER SCHEMA tenant_globex OWNER TO " + acmeRole);
    for (String attack : attacks) {
      AssetOutcome outcome = runner.run(TestContexts.of("acme"), asset(attack));
      assertThat(outcome.status()).as(attack + " → " + outcome).isEqualTo(AssetStatus.FAILED);
      assertThat(outcome.error()).as(attack).doesNotContain("syntax error");
    }

    try (Connection admin = database.connect()) {
      assertThat(count(admin, "SELECT count(*) FROM servo.executions WHERE state = 'running'")).isEqualTo(2);
      assertThat(count(admin, "SELECT count(*) FROM \"tenant_globex\".raw_orders")).isEqualTo(3);
      assertThat(count(admin, "SELECT count(*) FROM pg_extension WHERE extname = 'dblink'")).isZero();
      assertThat(count(admin, "SELECT count(*) FROM pg_namespace WHERE nspname = 'evil'")).isZero();
    }
    // And acme still works in its own schema.
    assertThat(runner.run(TestContexts.of("acme"), asset("SELECT * FROM raw_orders")).output())
        .isEqualTo("statement 1: 3 rows returned");
  }

  @Test
  void resetRoleLeavesTheTenantLoggedInAsItsOwnRole() throws Exception {
    Warehouse warehouse = postgres();
    String role = PostgresTenantRoles.roleName(databaseName, "acme");
    try (Connection c = warehouse.connection(TestContexts.of("acme")); Statement s = c.createStatement()) {
      s.execute("RESET ROLE");
      try (ResultSet rs = s.executeQuery("SELECT current_user, session_user, current_setting('search_path')")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(role);
        assertThat(rs.getString(2)).isEqualTo(role);
        assertThat(rs.getString(3)).isEqualTo("tenant_acme");
      }
      try (ResultSet rs = s.executeQuery("SELECT rolsuper, rolinherit, rolcreatedb, rolcreaterole, rolbypassrls,"
          + " rolconnlimit FROM pg_roles WHERE rolname = current_user")) {
        rs.next();
        assertThat(List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5)))
            .containsOnly(false);
        assertThat(rs.getInt(6)).isEqualTo(PostgresTenantRoles.CONNECTION_LIMIT);
      }
    }
  }

  @Test
  void twoWorkersProvisioningTheSameTenantAtOnceBothSucceed() throws Exception {
    Warehouse first = postgres();
    Warehouse second = new Warehouse(database.url(), SECRET);
    warehouses.add(second);
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Callable<AssetOutcome>> runs = new ArrayList<>();
      for (Warehouse w : List.of(first, second)) {
        runs.add(() -> new SqlRunner(w).run(TestContexts.of("acme"), asset("SELECT current_user")));
      }
      // Two Warehouse instances: two workers; each provisions the role and schema on first use.
      for (Future<AssetOutcome> f : threads.invokeAll(runs)) {
        assertThat(f.get().status()).as(f.get().toString()).isEqualTo(AssetStatus.SUCCEEDED);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aWarehouseUserWithoutCreateroleFailsTheAssetWithWhatToGrant() throws Exception {
    postgres();
    String weak = "servo_test_weak_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    extraRoles.add(weak);
    try (Connection admin = database.connect(); Statement s = admin.createStatement()) {
      s.execute("CREATE ROLE " + weak + " LOGIN");
    }
    Warehouse warehouse = new Warehouse(database.url().replace("user=postgres", "user=" + weak), SECRET);
    warehouses.add(warehouse);

    AssetOutcome outcome = new SqlRunner(warehouse).run(TestContexts.of("acme"), asset("SELECT 1"));

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).contains("CREATEROLE", weak, "SERVO_TENANT_ACME_WAREHOUSE_URL")
        .doesNotContain(new PostgresTenantRoles(SECRET).password(databaseName, "acme"));
  }

  @Test
  void rolesAndPasswordsAreDerivedPerDatabaseAndTenant() {
    PostgresTenantRoles roles = new PostgresTenantRoles(SECRET);
    assertThat(roles.password("db", "acme")).isEqualTo(new PostgresTenantRoles(SECRET).password("db", "acme"))
        .isNotEqualTo(roles.password("db", "globex")).isNotEqualTo(roles.password("db2", "acme"))
        .isNotEqualTo(new PostgresTenantRoles("another-secret-0123456789abcdef-0123".getBytes()).password("db", "acme"));
    assertThat(PostgresTenantRoles.roleName("db", "acme")).startsWith("servo_t_db_acme_");
    assertThat(PostgresTenantRoles.roleName("db", "Acme")).isNotEqualTo(PostgresTenantRoles.roleName("db", "acme"));
    assertThat(PostgresTenantRoles.roleName("a_b", "c")).isNotEqualTo(PostgresTenantRoles.roleName("a", "b_c"));
    String longTenant = "t".repeat(63);
    assertThat(PostgresTenantRoles.roleName("x".repeat(63), longTenant).getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
    assertThat(PostgresTenantRoles.schemaName(longTenant).getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
    assertThat(PostgresTenantRoles.schemaName(longTenant)).contains("#");
    assertThat(Warehouse.withoutCredentials("jdbc:postgresql://h:5432/db?user=servo&ssl=true&password=s3cret"))
        .isEqualTo("jdbc:postgresql://h:5432/db?ssl=true");
  }

  // ---- other shared warehouses ----

  @Test
  void aSharedWarehouseThatIsNeitherPostgresNorSqliteIsRefused() throws Exception {
    Warehouse warehouse = new Warehouse("jdbc:h2:mem:shared", SECRET);
    warehouses.add(warehouse);

    AssetOutcome outcome = new SqlRunner(warehouse).run(TestContexts.of("acme"), asset("SELECT 1"));

    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.error()).contains("give each tenant its own warehouse with SERVO_TENANT_ACME_WAREHOUSE_URL");
  }

  @Test
  void onSqliteEachTenantHasItsOwnFileAndCannotAttachAnother() throws Exception {
    Path servo = dir.resolve("servo.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + servo); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE executions (tenant_id TEXT, state TEXT)");
      s.execute("INSERT INTO executions VALUES ('acme', 'running'), ('globex', 'running')");
    }
    Warehouse warehouse = new Warehouse("jdbc:sqlite:" + servo, SECRET);
    warehouses.add(warehouse);
    SqlRunner runner = new SqlRunner(warehouse);

    assertThat(runner.run(TestContexts.of("acme"), asset(EXAMPLE)).status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(runner.run(TestContexts.of("globex"), asset(EXAMPLE)).status()).isEqualTo(AssetStatus.SUCCEEDED);
    assertThat(Files.exists(dir.resolve("warehouse-acme.db"))).isTrue();
    assertThat(Files.exists(dir.resolve("warehouse-globex.db"))).isTrue();

    for (String attack : List.of(
        "SELECT * FROM executions",
        "ATTACH DATABASE '" + servo + "' AS servo",
        "ATTACH DATABASE '" + dir.resolve("warehouse-globex.db") + "' AS other",
        "ATTACH DATABASE ':memory:' AS scratch",
        "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')")) {
      AssetOutcome outcome = runner.run(TestContexts.of("acme"), asset(attack));
      assertThat(outcome.status()).as(attack + " → " + outcome).isEqualTo(AssetStatus.FAILED);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + servo)) {
      assertThat(count(c, "SELECT count(*) FROM executions")).isEqualTo(2);
      assertThat(count(c, "SELECT count(*) FROM sqlite_master WHERE name = 'raw_orders'")).isZero();
    }
  }

  // ---- helpers ----

  /** A fresh database with a servo.executions of two tenants, and a warehouse on it. */
  private Warehouse postgres() throws SQLException {
    database = PostgresTestDatabase.create();
    try (Connection admin = database.connect(); Statement s = admin.createStatement()) {
      databaseName = string(admin, "SELECT current_database()");
      s.execute("CREATE SCHEMA servo");
      s.execute("CREATE TABLE servo.executions (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, state TEXT NOT NULL)");
      s.execute("INSERT INTO servo.executions VALUES ('e1', 'acme', 'running'), ('e2', 'globex', 'running')");
    }
    Warehouse warehouse = new Warehouse(database.url(), SECRET);
    warehouses.add(warehouse);
    return warehouse;
  }

  private static SqlAsset asset(String sql) {
    return new SqlAsset("q", List.of(), Duration.ofSeconds(30), sql);
  }

  private static boolean exists(Connection c, String role) throws SQLException {
    try (var p = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
      p.setString(1, role);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String string(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
