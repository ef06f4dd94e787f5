package io.servo.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStorageTest extends StorageContractTest {
  @TempDir Path dir;

  @Override
  String url() {
    return "jdbc:sqlite:" + dir.resolve("nested/dirs/servo.db");
  }

  @Override
  String table(String name) {
    return name;
  }

  @Test
  void createsTheFileAndItsDirectories() {
    assertThat(storage.dialect()).isEqualTo(ServoStorage.Dialect.SQLITE);
    assertThat(Files.isRegularFile(dir.resolve("nested/dirs/servo.db"))).isTrue();
  }

  @Test
  void connectionsUseWalABusyTimeoutAndForeignKeys() throws Exception {
    try (Connection c = storage.dataSource().getConnection(); Statement s = c.createStatement()) {
      assertThat(pragma(s, "journal_mode")).isEqualTo("wal");
      assertThat(pragma(s, "busy_timeout")).isEqualTo(String.valueOf(Storage.SQLITE_BUSY_TIMEOUT_MILLIS));
      assertThat(pragma(s, "foreign_keys")).isEqualTo("1");
    }
  }

  @Test
  void twoStoresShareOneFile() {
    Execution e = create("a");
    try (ServoStorage other = open()) {
      Execution claimed = other.executions().claim("a", e.id(), LEASE).orElseThrow();
      assertThat(executions.claim("a", e.id(), LEASE)).isEmpty();
      assertThat(executions.find("a", e.id())).contains(claimed);
    }
  }

  @Test
  void refusesInMemoryDatabases() {
    assertThatThrownBy(() -> Storage.open("jdbc:sqlite::memory:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SERVO_DATABASE_URL");
  }

  private static String pragma(Statement s, String name) throws Exception {
    try (ResultSet r = s.executeQuery("PRAGMA " + name)) {
      r.next();
      return r.getString(1);
    }
  }
}
