package io.servo.storage;

import java.time.Instant;

/** A task committed together with its execution and not yet accepted by the queue. */
public record OutboxTask(
    long id,
    String tenant,
    String executionId,
    String taskName,
    byte[] payload,
    int attempts,
    Instant availableAt,
    String lastError) {}
