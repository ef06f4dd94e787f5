package io.servo.storage;

import java.util.Optional;

/** Versioned workflow definitions per tenant. Every method sees only {@code tenant}'s rows. */
public interface WorkflowStore {
  /**
   * Stores a new version, or returns the latest one unchanged when its definition is identical.
   */
  StoredWorkflow deploy(String tenant, String name, String definitionJson);

  Optional<StoredWorkflow> latest(String tenant, String name);

  Optional<StoredWorkflow> version(String tenant, String name, int version);
}
