package io.servo.cli.security;

class CrossTenantApiOnPostgresTest extends CrossTenantApiAccess {
  @Override
  SecurityStack.Builder database() {
    return SecurityStack.postgres();
  }
}
