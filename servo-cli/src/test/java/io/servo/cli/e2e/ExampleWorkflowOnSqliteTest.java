package io.servo.cli.e2e;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.io.TempDir;

class ExampleWorkflowOnSqliteTest extends ExampleWorkflowEndToEnd {
  @TempDir Path dir;

  @Override
  String databaseUrl() {
    return "jdbc:sqlite:" + dir.resolve("servo.db");
  }

  @Override
  Connection warehouse() throws Exception {
    // tenant default's statements ran in its own file next to Servo's, never in Servo's
    return DriverManager.getConnection(databaseUrl().replace("servo.db", "warehouse-default.db"));
  }
}
