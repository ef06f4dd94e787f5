package io.servo.orchestrator.execution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TraceMetadata;
import io.servo.storage.StoredWorkflow;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * The one place task payloads are made: for a new execution ({@link StoreExecutionLauncher}) and
 * again for a stuck one ({@link io.servo.orchestrator.sweeper.ExecutionSweeper}). Both build it from the
 * deployed version the execution runs, so a redelivered task carries exactly the definition the
 * first one did.
 */
public final class TaskPayloads {
  private TaskPayloads() {}

  /**
   * @param workflow the deployed version the execution runs (its {@code workflow_version})
   * @param createdAt when this payload was made (truncated to milliseconds)
   * @param trace the trace context the worker continues, or {@link TraceMetadata#EMPTY}
   * @throws IllegalStateException when the stored definition is not JSON (a corrupt row)
   */
  public static TaskPayload forExecution(String executionId, StoredWorkflow workflow, Instant createdAt,
      TraceMetadata trace) {
    Objects.requireNonNull(executionId, "executionId");
    Objects.requireNonNull(workflow, "workflow");
    JsonNode definition;
    try {
      definition = Json.mapper().readTree(workflow.definitionJson());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "stored definition of workflow " + workflow.name() + " v" + workflow.version()
              + " is not JSON", e);
    }
    return new TaskPayload(
        TaskPayload.CURRENT_VERSION,
        executionId,
        workflow.tenant(),
        workflow.name(),
        workflow.version(),
        definition,
        createdAt.truncatedTo(ChronoUnit.MILLIS),
        trace);
  }
}
