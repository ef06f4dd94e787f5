package io.servo.storage;

/** The result of starting an execution: {@code created} is false when the idempotency key already named one. */
public record CreatedExecution(Execution execution, boolean created) {}
