package io.servo.cli.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

class CrossTenantApiOnSqliteTest extends CrossTenantApiAccess {
  @Override
  SecurityStack.Builder database() {
    try {
      return SecurityStack.sqlite(Files.createTempDirectory("servo-tenants"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
