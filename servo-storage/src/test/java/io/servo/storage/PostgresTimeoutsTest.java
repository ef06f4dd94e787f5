package io.servo.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.testing.postgres.TcpFaultProxy;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a caller sees when the network between Servo and PostgreSQL fails, through a proxy that can
 * refuse connections or silently drop every byte. Each call must fail with a {@link
 * StorageException} within seconds (bounded generously here), never hang or wait HikariCP's
 * default 30 s, and the pool must work again once the database is back.
 */
class PostgresTimeoutsTest {
  /** Far below HikariCP's default 30 s and the driver's unbounded wait, far above the timeouts. */
  private static final Duration FAILS_WITHIN = Duration.ofSeconds(15);

  private static PostgresTestDatabase database;
  private TcpFaultProxy proxy;
  private ServoStorage storage;

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

  @BeforeEach
  void startProxy() throws Exception {
    proxy = TcpFaultProxy.before(database.url());
  }

  @AfterEach
  void stop() throws Exception {
    proxy.forward();
    if (storage != null) {
      storage.close();
    }
    proxy.close();
  }

  @Test
  void aStatementWhosePacketsVanishFailsAfterTheSocketTimeoutInsteadOfHanging() throws Exception {
    storage = Storage.open(proxy.proxied(database.url()),
        StorageOptions.defaults().withSocketTimeout(Duration.ofSeconds(2)));

    assertTimeoutPreemptively(FAILS_WITHIN, () ->
        assertThatThrownBy(() -> storage.inTenant("a", c -> {
          proxy.stall(); // the connection stays open; the query and any answer are lost
          return selectOne(c);
        }))
            .isInstanceOf(StorageException.class)
            .hasMessageContaining("failed")
            .hasRootCauseInstanceOf(SocketTimeoutException.class));

    proxy.forward();
    assertThat(storage.inTenant("a", PostgresTimeoutsTest::selectOne)).as("the pool recovered").isEqualTo(1);
  }

  @Test
  void aSocketTimeoutInTheUrlOverridesServosDefault() throws Exception {
    // Servo's default is 60 s; the URL's 1 s wins.
    storage = Storage.open(proxy.proxied(database.url()) + "&socketTimeout=1");

    assertTimeoutPreemptively(FAILS_WITHIN, () ->
        assertThatThrownBy(() -> storage.inTenant("a", c -> {
          proxy.stall();
          return selectOne(c);
        }))
            .isInstanceOf(StorageException.class)
            .hasRootCauseInstanceOf(SocketTimeoutException.class));
  }

  @Test
  void aDatabaseThatRefusesConnectionsFailsACallWithinSecondsNotThirty() throws Exception {
    storage = Storage.open(proxy.proxied(database.url()));
    assertThat(storage.executions().find("a", "x")).isEmpty();

    proxy.cut(); // every pooled connection is closed, and new ones are refused
    Thread.sleep(600); // idle long enough that HikariCP checks a connection before handing it out
    long t0 = System.nanoTime();
    assertTimeoutPreemptively(FAILS_WITHIN.plusSeconds(30), () ->
        assertThatThrownBy(() -> storage.executions().find("a", "x"))
            .isInstanceOf(StorageException.class)
            .hasMessageContaining("reading an execution failed"));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    System.out.printf("the call failed after %d ms%n", took.toMillis());
    assertThat(took).as("time until the call failed").isLessThan(FAILS_WITHIN);

    proxy.forward();
    assertThat(storage.executions().find("a", "x")).as("the pool reconnected").isEmpty();
  }

  @Test
  void aDatabaseThatStopsAnsweringFailsACallWithinSecondsNotThirty() throws Exception {
    storage = Storage.open(proxy.proxied(database.url()));
    assertThat(storage.executions().find("a", "x")).isEmpty();
    Thread.sleep(600); // idle long enough that HikariCP checks the connection before handing it out

    proxy.stall(); // pooled connections stay open but answer nothing; new ones connect, then hear nothing
    long t0 = System.nanoTime();
    assertTimeoutPreemptively(FAILS_WITHIN.plusSeconds(30), () ->
        assertThatThrownBy(() -> storage.executions().find("a", "x"))
            .isInstanceOf(StorageException.class)
            .hasMessageContaining("reading an execution failed"));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    System.out.printf("the call failed after %d ms%n", took.toMillis());
    assertThat(took).as("time until the call failed").isLessThan(FAILS_WITHIN);

    proxy.forward();
    assertThat(storage.executions().find("a", "x")).as("the pool reconnected").isEmpty();
  }

  /**
   * An idle pooled connection that a NAT or firewall forgot is found dead by the OS's keep-alive
   * probes; without them only the next statement would find out. Linux shows the keep-alive timer
   * of a socket in /proc/net/tcp (timer 2).
   */
  @Test
  void pooledConnectionsAreKeptAliveByTcpProbes() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux's /proc/net/tcp");
    storage = Storage.open(database.url());
    int port = storage.inTenant("a", c -> {
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT inet_client_port()")) {
        r.next();
        return r.getInt(1);
      }
    });
    assertThat(tcpTimer(port)).as("the timer of the idle connection's socket (2: keep-alive)").isEqualTo(2);

    try (ServoStorage noKeepAlive = Storage.open(database.url() + "&tcpKeepAlive=false")) {
      int other = noKeepAlive.inTenant("a", c -> {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT inet_client_port()")) {
          r.next();
          return r.getInt(1);
        }
      });
      assertThat(tcpTimer(other)).as("the URL turned keep-alive off").isZero();
    }
  }

  /** The {@code tr} column of the socket whose local port is {@code localPort}: 0 none, 2 keep-alive. */
  static int tcpTimer(int localPort) throws java.io.IOException {
    String port = String.format(":%04X", localPort);
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      Path file = Path.of(table);
      if (!Files.isReadable(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file)) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 5 && f[1].endsWith(port) && f[3].equals("01")) { // 01: established
          return Integer.parseInt(f[5].substring(0, f[5].indexOf(':')), 16);
        }
      }
    }
    throw new AssertionError("no established socket on local port " + localPort);
  }

  @Test
  void timeoutsThePoolOrTheDriverCannotHonourAreRefused() {
    StorageOptions defaults = StorageOptions.defaults();
    assertThatThrownBy(() -> defaults.withSocketTimeout(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("socketTimeout");
    assertThatThrownBy(() -> defaults.withConnectionTimeout(Duration.ofMillis(100)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectionTimeout");
    assertThatThrownBy(() -> defaults.withValidationTimeout(Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validationTimeout");
    assertThat(defaults.withSocketTimeout(Duration.ZERO).socketTimeout()).isZero();
  }

  private static int selectOne(java.sql.Connection c) throws java.sql.SQLException {
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT 1")) {
      r.next();
      return r.getInt(1);
    }
  }
}
