package io.servo.orchestrator.execution;

import io.servo.storage.Execution;

/**
 * The outcome of {@link ExecutionLauncher#launch}: the execution, whether this call created it
 * (false for a repeated idempotency key) and the name of its queue task.
 */
public record LaunchedExecution(Execution execution, boolean created, String taskName) {}
