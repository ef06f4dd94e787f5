package io.servo.core.task;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * What the orchestrator sends the worker for one execution: who, which workflow version, the
 * workflow's canonical definition (so the worker runs exactly what was deployed), and the trace
 * context. Encoded as versioned JSON by {@link TaskPayloadCodec}.
 */
public record TaskPayload(
    @JsonProperty("version") int version,
    @JsonProperty("execution_id") String executionId,
    @JsonProperty("tenant") String tenant,
    @JsonProperty("workflow") String workflow,
    @JsonProperty("workflow_version") int workflowVersion,
    @JsonProperty("definition") JsonNode definition,
    @JsonProperty("created_at") Instant createdAt,
    @JsonProperty("trace") TraceMetadata trace) {
  public static final int CURRENT_VERSION = 1;

  public TaskPayload {
    Objects.requireNonNull(executionId, "executionId");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(workflow, "workflow");
    Objects.requireNonNull(definition, "definition");
    trace = trace == null ? TraceMetadata.EMPTY : trace;
  }

  public TaskPayload withTrace(TraceMetadata newTrace) {
    return new TaskPayload(
        version, executionId, tenant, workflow, workflowVersion, definition, createdAt, newTrace);
  }
}
