package io.servo.cli.security;

import static io.servo.cli.security.TenantAttacks.assertNoSecret;
import static io.servo.cli.security.TenantAttacks.attack;
import static org.assertj.core.api.Assertions.assertThat;

import io.servo.cli.security.TenantAttacks.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenant {@code acme} attacks tenant {@code globex} and Servo's tables on SQLite, where the
 * warehouse defaults to Servo's own database file: each tenant's statements run in a database
 * file of its own, and no other file can be attached.
 */
class HostileTenantOnSqliteTest {
  private static final String GLOBEX_ROW = "globex_row_Sq8Lt3Wn5Kd2";

  @TempDir Path dir;
  private SecurityStack stack;
  private Set<String> secrets;

  @BeforeEach
  void start() {
    stack = SecurityStack.sqlite(dir).start();
    secrets = Set.of(SecurityStack.HMAC_SECRET, SecurityStack.GLOBEX_TOKEN, GLOBEX_ROW);
    TenantAttacks.globexStoresASecret(stack, "INSERT INTO customers VALUES (1, '" + GLOBEX_ROW + "');");
  }

  @AfterEach
  void stop() {
    stack.close();
  }

  /** Servo's rows of globex, and every SQLite file's content that holds globex's row. */
  private String victim() throws Exception {
    StringBuilder out = new StringBuilder(stack.dump().lines().filter(l -> l.contains("tenant_id=globex"))
        .reduce("", (a, b) -> a + b + "\n"));
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".db")).sorted().toList()) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE name = 'customers'")) {
          if (rs.next()) {
            try (Statement s2 = c.createStatement(); ResultSet rows = s2.executeQuery("SELECT count(*), min(secret) FROM customers")) {
              out.append(file.getFileName()).append(' ').append(rows.getLong(1)).append(' ').append(rows.getString(2)).append('\n');
            }
          }
        }
      }
    }
    assertThat(out).contains(GLOBEX_ROW);
    return out.toString();
  }

  private Outcome acmeRuns(String name, String sql) throws Exception {
    String before = victim();
    Outcome outcome = attack(stack, SecurityStack.ACME_TOKEN, name, """
        workflow: %s
        assets:
          - name: a
            kind: sql
            sql: |
        %s
        """.formatted(name, sql.indent(6)));
    stack.awaitQuiet();
    assertThat(victim()).as("globex's rows and table after " + name).isEqualTo(before);
    assertNoSecret(outcome.visible(), secrets);
    return outcome;
  }

  private Path fileHolding(String table) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".db")).toList()) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE name = '" + table + "'")) {
          if (rs.next()) {
            return file;
          }
        }
      }
    }
    throw new AssertionError("no database file holds " + table);
  }

  @Test
  void acmesStatementsDoNotRunInServosDatabase() throws Exception {
    Outcome read = acmeRuns("loot", "CREATE TABLE loot AS SELECT tenant_id, workflow, state FROM executions;");
    assertThat(read.state()).isEqualTo("failed");
    assertThat(read.assets()).contains("no such table");
    Outcome cancel = acmeRuns("cancel", "UPDATE executions SET state = 'cancelled' WHERE tenant_id = 'globex';");
    assertThat(cancel.state()).isEqualTo("failed");
  }

  @Test
  void acmeCannotAttachServosOrGlobexsFile() throws Exception {
    for (Path file : new Path[] {fileHolding("executions"), fileHolding("customers")}) {
      Outcome attach = acmeRuns("attach", "ATTACH DATABASE '" + file + "' AS other;\nCREATE TABLE loot AS SELECT * FROM other.sqlite_master;");
      assertThat(attach.state()).as(attach.assets()).isEqualTo("failed");
      assertThat(attach.assets()).containsIgnoringCase("too many attached databases");
    }
  }

  @Test
  void bothTenantsWorkInTheirOwnFiles() throws Exception {
    TenantAttacks.bothTenantsUseTheirOwnTables(stack);
    assertThat(fileHolding("customers")).isNotEqualTo(fileHolding("executions"));
  }
}
