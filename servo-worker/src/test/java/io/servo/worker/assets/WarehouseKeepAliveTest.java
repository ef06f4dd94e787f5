package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.testing.postgres.PostgresTestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The warehouse pool's PostgreSQL connections are kept alive by TCP probes, so an idle connection
 * that a NAT or firewall forgot is found dead by the OS instead of by the next asset; the URL can
 * turn that off. Linux shows a socket's keep-alive timer in /proc/net/tcp (timer 2).
 */
class WarehouseKeepAliveTest {
  @Test
  void idleWarehouseConnectionsAreKeptAliveUnlessTheUrlSaysOtherwise() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs Linux's /proc/net/tcp");
    String url = PostgresTestDatabase.reachableBaseUrl();
    try (WarehousePool warehouse = new WarehousePool(url)) {
      assertThat(tcpTimer(clientPort(warehouse))).as("timer of the idle connection (2: keep-alive)").isEqualTo(2);
    }
    try (WarehousePool warehouse = new WarehousePool(url + (url.contains("?") ? "&" : "?") + "tcpKeepAlive=false")) {
      assertThat(tcpTimer(clientPort(warehouse))).as("the URL turned keep-alive off").isZero();
    }
  }

  /** The local port of a pooled connection, which is back in the pool (idle) when this returns. */
  private static int clientPort(WarehousePool warehouse) throws SQLException {
    try (Connection c = warehouse.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT inet_client_port()")) {
      r.next();
      return r.getInt(1);
    }
  }

  private static int tcpTimer(int localPort) throws IOException {
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

}
