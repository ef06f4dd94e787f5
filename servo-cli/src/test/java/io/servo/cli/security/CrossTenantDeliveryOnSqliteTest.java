package io.servo.cli.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

class CrossTenantDeliveryOnSqliteTest extends CrossTenantDeliveries {
  @Override
  SecurityStack.Builder database() {
    try {
      return SecurityStack.sqlite(Files.createTempDirectory("servo-deliveries"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
