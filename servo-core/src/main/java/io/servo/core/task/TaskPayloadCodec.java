package io.servo.core.task;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

  /**
   * What the relay needs to route and trace a hand-over, read from a payload without decoding (or
   * validating) its definition: the names and the {@code trace} object.
   */
  public record Header(String executionId, String tenant, String workflow, TraceMetadata trace) {}

  /**
   * Reads the top-level names and {@code trace} of a payload, skipping the definition.
   *
   * @throws InvalidPayloadException when the body is not a JSON object with an {@code execution_id},
   *     a {@code tenant} and a {@code workflow} (the worker's {@link #decode} says more)
   */
  public static Header readHeader(byte[] body) {
    String executionId = null;
    String tenant = null;
    String workflow = null;
    String traceparent = null;
    String tracestate = null;
    try (JsonParser parser = Json.mapper().getFactory().createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidPayloadException("task payload must be a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "execution_id" -> executionId = text(parser, value);
          case "tenant" -> tenant = text(parser, value);
          case "workflow" -> workflow = text(parser, value);
          case "trace" -> {
            if (value == JsonToken.START_OBJECT) {
              while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken member = parser.nextToken();
                if (name.equals("traceparent")) {
                  traceparent = text(parser, member);
                } else if (name.equals("tracestate")) {
                  tracestate = text(parser, member);
                } else {
                  parser.skipChildren();
                }
              }
            } else if (value != JsonToken.VALUE_NULL) {
              throw new InvalidPayloadException("task payload trace must be an object");
            }
          }
          default -> parser.skipChildren();
        }
      }
    } catch (JacksonException e) {
      throw new InvalidPayloadException("task payload is not valid: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (executionId == null || tenant == null || workflow == null) {
      throw new InvalidPayloadException("task payload is missing execution_id, tenant or workflow");
    }
    TraceMetadata trace = traceparent == null ? TraceMetadata.EMPTY
        : new TraceMetadata(traceparent, tracestate);
    return new Header(executionId, tenant, workflow, trace);
  }

  private static String text(JsonParser parser, JsonToken token) throws IOException {
    if (token != JsonToken.VALUE_STRING) {
      parser.skipChildren();
      return null;
    }
    return parser.getText();
  }
}
