package io.servo.cli.e2e;

import io.servo.testing.postgres.PostgresTestDatabase;
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
    // tenant default's statements ran as its own role, in its own schema
    Connection c = database.connect();
    c.createStatement().execute("SET search_path TO tenant_default");
    return c;
  }

  @AfterEach
  void drop() {
    if (database != null) {
      database.close();
    }
  }
}
