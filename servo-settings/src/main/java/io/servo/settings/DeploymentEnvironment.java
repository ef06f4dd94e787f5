package io.servo.settings;

import java.util.Locale;

/**
 * Where a service runs, from {@code SERVO_ENVIRONMENT}: production and staging insist on real
 * secrets and authentication, development has defaults that need none.
 */
public enum DeploymentEnvironment {
  PRODUCTION,
  STAGING,
  DEVELOPMENT;

  /** The variable that sets it. */
  public static final String VARIABLE = "SERVO_ENVIRONMENT";

  /** {@code SERVO_ENVIRONMENT}, development when unset; an unknown value is a problem of {@code settings}. */
  public static DeploymentEnvironment from(Settings settings) {
    return settings.choice(VARIABLE, DeploymentEnvironment.class, DEVELOPMENT);
  }

  /** The value as written in {@code SERVO_ENVIRONMENT} (and in {@code deployment.environment.name}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean isDevelopment() {
    return this == DEVELOPMENT;
  }
}
