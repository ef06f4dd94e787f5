package io.servo.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.core.execution.AssetStatus;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PostgresStorageTest extends StorageContractTest {
  private static PostgresTestDatabase database;

  @BeforeAll
  static void createDatabase() {
    database = PostgresTestDatabase.create();
  }

  @AfterAll
  static void dropDatabase() {
    if (database != null) {
      database.close();
    }
  }

  @Override
  String url() {
    return database.url();
  }

  @Override
  String table(String name) {
    return "servo." + name;
  }

  /** Runs after the storage opened (so the tables exist), as the URL's superuser. */
  @BeforeEach
  void emptyTables() throws SQLException {
    try (Connection c = database.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE servo.workflows, servo.executions, servo.asset_results, servo.task_outbox RESTART IDENTITY");
    }
  }

  @Test
  void pooledConnectionsActAsTheUnprivilegedAppRole() throws SQLException {
    assertThat(storage.dialect()).isEqualTo(ServoStorage.Dialect.POSTGRESQL);
    assertThat(queryIn("a", "SELECT current_user")).containsExactly(Storage.APP_ROLE);
    try (Connection c = database.connect();
        PreparedStatement s = c.prepareStatement("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = ?")) {
      s.setString(1, Storage.APP_ROLE);
      try (ResultSet r = s.executeQuery()) {
        assertThat(r.next()).isTrue();
        assertThat(r.getBoolean(1)).isFalse();
        assertThat(r.getBoolean(2)).isFalse();
        assertThat(r.getBoolean(3)).isFalse();
      }
    }
    assertThatThrownBy(() -> queryIn("a", "SELECT version FROM servo.flyway_schema_history"))
        .isInstanceOf(StorageException.class)
        .hasRootCauseMessage("ERROR: permission denied for table flyway_schema_history");
  }

  @Test
  void rowLevelSecurityHidesOtherTenantsFromHandWrittenSql() {
    Execution a = create("a");
    Execution b = create("b");
    workflows.deploy("a", "w", "{}");
    workflows.deploy("b", "w", "{}");
    for (String t : List.of("a", "b")) {
      Execution e = t.equals("a") ? a : b;
      Execution running = executions.claim(t, e.id(), LEASE).orElseThrow();
      assertThat(executions.recordAssetResult(t, new AssetResult(e.id(), "raw", "sql", AssetStatus.RUNNING,
          running.attempt(), START, null, null, null))).isTrue();
    }

    assertThat(queryIn("a", "SELECT * FROM servo.executions")).containsExactly(a.id());
    for (String tableName : List.of("workflows", "executions", "asset_results", "task_outbox")) {
      assertThat(queryIn("a", "SELECT DISTINCT tenant_id FROM servo." + tableName))
          .as(tableName).containsExactly("a");
    }
    assertThat(idsVisibleInTenant("b")).containsExactly(b.id());

    // Updates and deletes of b's rows from a's transaction find nothing.
    assertThat(updateIn("a", "UPDATE servo.executions SET error = 'x' WHERE tenant_id = 'b'")).isZero();
    assertThat(updateIn("a", "DELETE FROM servo.task_outbox WHERE tenant_id = 'b'")).isZero();
    assertThat(outbox.pendingFor("b", b.id())).isPresent();
  }

  @Test
  void rowLevelSecurityRejectsWritingAnotherTenantsRow() {
    assertThatThrownBy(() -> storage.inTenant("a", c -> update(c,
        "INSERT INTO servo.executions (id, tenant_id, workflow, workflow_version, state, created_at, updated_at) "
            + "VALUES ('x', 'b', 'w', 1, 'pending', now(), now())")))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("42501")
        .rootCause().hasMessageContaining("row-level security");

    Execution a = create("a");
    assertThatThrownBy(() -> storage.inTenant("a", c -> update(c,
        "UPDATE servo.executions SET tenant_id = 'b' WHERE id = '" + a.id() + "'")))
        .isInstanceOf(StorageException.class)
        .rootCause().hasMessageContaining("row-level security");
    assertThat(idsVisibleInTenant("b")).isEmpty();
  }

  /**
   * A stale worker's write that starts while another worker's claim is still uncommitted must not
   * slip in on the snapshot it read before that claim: it waits for the claim and is then refused.
   */
  @Test
  void aStaleAssetResultRacingATakeOverIsRefusedOnceTheTakeOverCommits() throws Exception {
    Execution e = create("a");
    Execution first = executions.claim("a", e.id(), LEASE).orElseThrow();
    AssetResult stale = new AssetResult(e.id(), "raw", "sql", AssetStatus.SUCCEEDED, first.attempt(),
        START, START.plusSeconds(1), "late", null);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection takeOver = database.connect(); Connection observer = database.connect()) {
      // Another worker's claim, updated but not yet committed.
      takeOver.setAutoCommit(false);
      assertThat(update(takeOver, "UPDATE servo.executions SET attempt = attempt + 1 WHERE id = '" + e.id() + "'"))
          .isEqualTo(1);
      Future<Boolean> write = pool.submit(() -> executions.recordAssetResult("a", stale));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!write.isDone() && waitingForALock(observer) == 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      takeOver.commit();

      assertThat(write.get(10, TimeUnit.SECONDS)).as("the stale write was recorded").isFalse();
    } finally {
      pool.shutdownNow();
    }
    assertThat(executions.assetResults("a", e.id())).isEmpty();
    assertThat(executions.find("a", e.id()).orElseThrow().attempt()).isEqualTo(first.attempt() + 1);
  }

  private static int waitingForALock(Connection c) throws SQLException {
    return Integer.parseInt(query(c, "SELECT count(*) FROM pg_stat_activity "
        + "WHERE datname = current_database() AND wait_event_type = 'Lock'").get(0));
  }

  @Test
  void tenantAndSystemScopesEndWithTheirTransaction() throws SQLException {
    storage.close();
    storage = Storage.open(url(), StorageOptions.defaults().withClock(clock).withPoolSize(1));
    executions = storage.executions();
    outbox = storage.outbox();
    create("a");
    assertThat(storage.outbox().claimDue(START, LEASE, 10)).hasSize(1);
    assertThat(storage.executions().expiredLeases(START, 10)).isEmpty();

    // The one pooled connection ran the tenant and the system transactions; outside them it sees nothing.
    try (Connection c = storage.dataSource().getConnection()) {
      assertThat(query(c, "SELECT id FROM servo.executions")).isEmpty();
      assertThat(query(c, "SELECT id FROM servo.task_outbox")).isEmpty();
    }
  }

  @Test
  void freshDatabasesMigrateConcurrently() throws Exception {
    List<PostgresTestDatabase> fresh = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        fresh.add(PostgresTestDatabase.create());
      }
      List<Boolean> ready = concurrently(fresh.size(), i -> {
        try (ServoStorage s = Storage.open(fresh.get(i).url())) {
          return s.isReady();
        }
      });
      assertThat(ready).containsOnly(true);
    } finally {
      fresh.forEach(PostgresTestDatabase::close);
    }
  }

  @Test
  void aPasswordInTheUrlNeverReachesAnErrorMessage() {
    String url = PostgresTestDatabase.withDatabase("servo_no_such_database") + "&password=hunter2-secret";
    assertThatThrownBy(() -> Storage.open(url))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("SERVO_DATABASE_URL")
        .hasMessageContaining("servo_no_such_database")
        .satisfies(DatabaseUrlTest::neverMentionsTheSecret);
  }

  private List<String> queryIn(String tenant, String sql) {
    return storage.inTenant(tenant, c -> query(c, sql));
  }

  private int updateIn(String tenant, String sql) {
    return storage.inTenant(tenant, c -> update(c, sql));
  }

  private static List<String> query(Connection c, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        rows.add(r.getString(1));
      }
    }
    return rows;
  }

  private static int update(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      return s.executeUpdate(sql);
    }
  }
}
