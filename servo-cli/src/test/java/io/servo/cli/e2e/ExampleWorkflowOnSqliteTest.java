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
    return DriverManager.getConnection(databaseUrl());
  }
}
