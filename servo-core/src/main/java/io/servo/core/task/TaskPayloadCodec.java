package io.servo.core.task;

import com.fasterxml.jackson.core.JacksonException;
import io.servo.core.json.Json;
import io.servo.core.workflow.WorkflowLoader;
import io.servo.core.workflow.WorkflowValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/** Encodes and decodes {@link TaskPayload} JSON, rejecting anything a worker should not run. */
public final class TaskPayloadCodec {
  private TaskPayloadCodec() {}

  public static byte[] encode(TaskPayload payload) {
    try {
      return Json.mapper().writeValueAsBytes(payload);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * @throws InvalidPayloadException saying what is wrong: not JSON, an unsupported version, a
   *     missing field, an invalid definition
   */
  public static TaskPayload decode(byte[] body) {
    TaskPayload payload;
    try {
      var tree = Json.mapper().readTree(body);
      if (tree == null || !tree.isObject()) {
        throw new InvalidPayloadException("task payload must be a JSON object");
      }
      var version = tree.get("version");
      if (version == null || !version.isInt() || version.intValue() != TaskPayload.CURRENT_VERSION) {
        throw new InvalidPayloadException(
            "unsupported task payload version " + (version == null ? "(missing)" : version.toString())
                + ": this worker reads version " + TaskPayload.CURRENT_VERSION
                + "; deploy the orchestrator and worker from the same release");
      }
      payload = Json.mapper().treeToValue(tree, TaskPayload.class);
    } catch (JacksonException e) {
      throw new InvalidPayloadException("task payload is not valid: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NullPointerException e) {
      throw new InvalidPayloadException("task payload is missing field " + e.getMessage());
    }
    try {
      UUID.fromString(payload.executionId());
    } catch (IllegalArgumentException e) {
      throw new InvalidPayloadException("task payload execution_id is not a UUID");
    }
    if (!WorkflowLoader.NAME.matcher(payload.tenant()).matches()
        || !WorkflowLoader.NAME.matcher(payload.workflow()).matches()) {
      throw new InvalidPayloadException("task payload tenant or workflow name is invalid");
    }
    try {
      var workflow = WorkflowLoader.fromTree(payload.definition());
      if (!workflow.name().equals(payload.workflow()) || !workflow.tenant().equals(payload.tenant())) {
        throw new InvalidPayloadException(
            "task payload definition is for another workflow or tenant than the payload names");
      }
    } catch (WorkflowValidationException e) {
      throw new InvalidPayloadException("task payload definition is invalid: " + e.getMessage());
    }
    return payload;
  }
}
