package io.servo.storage;

import io.servo.core.execution.AssetStatus;
import java.time.Instant;

/**
 * The latest outcome of one asset in one execution. {@code output} is a short summary (rows
 * affected, HTTP status, exit code and the tail of stderr), {@code error} why it failed; neither ever
 * holds a resolved {@code ${env:…}} value.
 */
public record AssetResult(
    String executionId,
    String assetName,
    String kind,
    AssetStatus status,
    int attempt,
    Instant startedAt,
    Instant endedAt,
    String output,
    String error) {}
