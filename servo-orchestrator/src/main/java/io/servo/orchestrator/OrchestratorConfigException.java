package io.servo.orchestrator;

/**
 * A configuration value the orchestrator cannot start with. The message names the variable, the
 * value (never for tokens or secrets) and what is accepted.
 */
public final class OrchestratorConfigException extends RuntimeException {
  public OrchestratorConfigException(String message) {
    super(message);
  }
}
