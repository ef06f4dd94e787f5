package io.servo.cli.e2e;

import io.servo.storage.PostgresTestDatabase;
import java.sql.Connection;
import org.junit.jupiter.api.AfterEach;

class ExampleWorkflowOnPostgresTest extends ExampleWorkflowEndToEnd {
  private PostgresTestDatabase database;

  @Override
  String databaseUrl() {
    database = PostgresTestDatabase.create();
    return database.url();
  }

  @Override
  Connection warehouse() throws Exception {
    return database.connect();
  }

  @AfterEach
  void drop() {
    if (database != null) {
      database.close();
    }
  }
}
