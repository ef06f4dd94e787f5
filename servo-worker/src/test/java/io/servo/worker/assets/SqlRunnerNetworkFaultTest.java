package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.AssetStatus;
import io.servo.core.workflow.SqlAsset;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.testing.postgres.TcpFaultProxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * A {@code sql} asset against PostgreSQL through a proxy whose packets can vanish. The warehouse
 * pool has no socket timeout (a user's statement may run as long as its asset's timeout), so the
 * asset's timeout must bound the network wait too: when the packets vanish mid-statement the
 * driver's cancel is lost as well, and only that bound ends the asset.
 */
class SqlRunnerNetworkFaultTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  /**
   * Generous: the asset's timeout, plus PgJDBC's wait for its (lost) cancel request to be sent
   * (cancelSignalTimeout, 2 s on the warehouse pool; the network wait itself ends 2 s after the
   * query timeout), plus a slow machine's slack. Without the bound the asset never ends; with the
   * driver's default cancelSignalTimeout (10 s) it ends after about 12 s.
   */
  private static final Duration ENDS_WITHIN = Duration.ofSeconds(9);

  private PostgresTestDatabase database;
  private TcpFaultProxy proxy;
  private Warehouse warehouse;
  /** The tenant's own warehouse is the proxied database, used as is (no role is provisioned). */
  private AssetContext context;

  @BeforeEach
  void start() throws Exception {
    database = PostgresTestDatabase.create();
    proxy = TcpFaultProxy.before(database.url());
    warehouse = new Warehouse(database.url(), null);
    context = TestContexts.withOwnWarehouse(proxy.proxied(database.url()));
  }

  @AfterEach
  void stop() throws Exception {
    if (warehouse != null) {
      warehouse.close();
    }
    if (proxy != null) {
      proxy.close(); // also frees a runner still stuck on the stalled connection
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  @Timeout(value = 60, threadMode = ThreadMode.SEPARATE_THREAD) // without the bound it hangs for good
  void aStatementWhosePacketsVanishTimesOutWithinAboutTheAssetTimeout() throws Exception {
    var asset = new SqlAsset("stuck", List.of(), TIMEOUT, "SELECT pg_sleep(30)");
    Thread staller = new Thread(() -> {
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(this::sleeping);
      proxy.stall(); // the statement is on the server; its answer and the driver's cancel will be lost
    }, "staller");
    staller.setDaemon(true);
    staller.start();

    long t0 = System.nanoTime();
    AssetOutcome outcome = new SqlRunner(warehouse).run(context, asset);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    System.out.printf("the stalled sql asset ended after %d ms%n", took.toMillis());

    staller.join(1_000);
    assertThat(staller.isAlive()).as("the proxy stalled while the statement ran").isFalse();
    assertThat(outcome.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(outcome.timedOut()).as("timed out, like a statement the server cancelled").isTrue();
    assertThat(outcome.error())
        .isEqualTo("timed out after 2s in statement 1 (the transaction was rolled back)");
    assertThat(took).as("time until the asset ended").isGreaterThanOrEqualTo(TIMEOUT).isLessThan(ENDS_WITHIN);
  }

  @Test
  void aStatementMayRunAlmostToItsTimeoutAndOneRunningPastItIsCancelledAsBefore() throws Exception {
    // Bounding the network wait must not cut a statement that is slow but within its timeout.
    var slow = new SqlAsset("slow", List.of(), Duration.ofSeconds(4), "SELECT pg_sleep(3)");
    assertThat(new SqlRunner(warehouse).run(context, slow).status()).isEqualTo(AssetStatus.SUCCEEDED);

    var tooSlow = new SqlAsset("too_slow", List.of(), TIMEOUT, "SELECT pg_sleep(30)");
    AssetOutcome outcome = new SqlRunner(warehouse).run(context, tooSlow);
    assertThat(outcome.timedOut()).as("cancelled by the server at its timeout").isTrue();
    assertThat(outcome.error()).isEqualTo("timed out after 2s in statement 1 (the transaction was rolled back)");

    try (Connection c = warehouse.connection(context)) {
      assertThat(c.getNetworkTimeout()).as("the pooled connection's network wait is unbounded again").isZero();
    }
  }

  /** Whether the runner's {@code pg_sleep} is running on the server. */
  private boolean sleeping() throws Exception {
    try (Connection c = database.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND state = 'active' AND query LIKE 'SELECT pg_sleep%'")) {
      r.next();
      return r.getInt(1) > 0;
    }
  }
}
