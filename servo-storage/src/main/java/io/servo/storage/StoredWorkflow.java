package io.servo.storage;

import java.time.Instant;

/** One deployed version of a workflow; {@code definitionJson} is the canonical JSON form. */
public record StoredWorkflow(
    String tenant, String name, int version, String definitionJson, Instant createdAt) {}
