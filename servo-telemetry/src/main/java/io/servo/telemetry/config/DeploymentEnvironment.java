package io.servo.telemetry.config;

/** Where the service runs; chooses defaults such as the sample rate. Set by {@code SERVO_ENVIRONMENT}. */
public enum DeploymentEnvironment {
  PRODUCTION("production", 0.01),
  STAGING("staging", 1.0),
  DEVELOPMENT("development", 1.0);

  private final String id;
  private final double defaultSampleRate;

  DeploymentEnvironment(String id, double defaultSampleRate) {
    this.id = id;
    this.defaultSampleRate = defaultSampleRate;
  }

  /** The value as written in {@code SERVO_ENVIRONMENT} and in {@code deployment.environment.name}. */
  public String id() {
    return id;
  }

  /** The root sampling probability used when no rate is configured. */
  public double defaultSampleRate() {
    return defaultSampleRate;
  }
}
