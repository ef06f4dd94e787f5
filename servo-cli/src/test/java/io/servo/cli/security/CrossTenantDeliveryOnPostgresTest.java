package io.servo.cli.security;

class CrossTenantDeliveryOnPostgresTest extends CrossTenantDeliveries {
  @Override
  SecurityStack.Builder database() {
    return SecurityStack.postgres();
  }
}
