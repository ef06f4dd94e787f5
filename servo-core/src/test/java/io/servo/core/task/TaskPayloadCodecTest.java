package io.servo.core.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.core.workflow.WorkflowLoader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TaskPayloadCodecTest {
  private static TaskPayload payload() {
    var wf = WorkflowLoader.parse("workflow: w\nassets: [{name: a, kind: sql, sql: SELECT 1}]");
    return new TaskPayload(1, UUID.randomUUID().toString(), "default", "w", 3,
        WorkflowLoader.toTree(wf), Instant.parse("2026-11-25T10:00:00Z"),
        new TraceMetadata("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v"));
  }

  @Test
  void roundTrips() {
    TaskPayload p = payload();
    byte[] body = TaskPayloadCodec.encode(p);

    assertThat(new String(body, StandardCharsets.UTF_8))
        .contains("\"version\":1", "\"trace\":{\"traceparent\":\"00-0af7");
    assertThat(TaskPayloadCodec.decode(body)).isEqualTo(p);
  }

  @Test
  void traceObjectIsReservedEvenWhenEmpty() {
    TaskPayload p = payload().withTrace(null);
    assertThat(new String(TaskPayloadCodec.encode(p), StandardCharsets.UTF_8)).contains("\"trace\":{}");
    assertThat(TaskPayloadCodec.decode(TaskPayloadCodec.encode(p)).trace().isEmpty()).isTrue();
  }

  @Test
  void rejectsWhatAWorkerMustNotRun() {
    assertThatThrownBy(() -> TaskPayloadCodec.decode("nope".getBytes()))
        .isInstanceOf(InvalidPayloadException.class).hasMessageStartingWith("task payload is not valid");
    assertThatThrownBy(() -> TaskPayloadCodec.decode("[]".getBytes()))
        .hasMessage("task payload must be a JSON object");
    String v2 = new String(TaskPayloadCodec.encode(payload())).replace("\"version\":1", "\"version\":2");
    assertThatThrownBy(() -> TaskPayloadCodec.decode(v2.getBytes()))
        .hasMessage("unsupported task payload version 2: this worker reads version 1;"
            + " deploy the orchestrator and worker from the same release");
    String badId = new String(TaskPayloadCodec.encode(payload())).replaceAll("\"execution_id\":\"[^\"]+\"", "\"execution_id\":\"x\"");
    assertThatThrownBy(() -> TaskPayloadCodec.decode(badId.getBytes()))
        .hasMessage("task payload execution_id is not a UUID");
    String otherTenant = new String(TaskPayloadCodec.encode(payload())).replace("\"tenant\":\"default\",\"workflow\"", "\"tenant\":\"evil\",\"workflow\"");
    assertThatThrownBy(() -> TaskPayloadCodec.decode(otherTenant.getBytes()))
        .hasMessageContaining("another workflow or tenant");
    String missing = new String(TaskPayloadCodec.encode(payload())).replaceAll(",\"definition\":\\{.*?\\]\\}", "");
    assertThatThrownBy(() -> TaskPayloadCodec.decode(missing.getBytes()))
        .isInstanceOf(InvalidPayloadException.class);
  }

  @Test
  void theRelayReadsTheHeaderWithoutTheDefinition() {
    TaskPayload p = payload();
    byte[] body = TaskPayloadCodec.encode(p);

    TaskPayloadCodec.Header header = TaskPayloadCodec.readHeader(body);
    assertThat(header.executionId()).isEqualTo(p.executionId());
    assertThat(header.tenant()).isEqualTo("default");
    assertThat(header.workflow()).isEqualTo("w");
    assertThat(header.trace()).isEqualTo(p.trace());
  }

  @Test
  void theHeaderOfAPayloadWithAnEmptyNullOrMissingTraceSaysSo() {
    byte[] empty = TaskPayloadCodec.encode(payload().withTrace(null));
    assertThat(TaskPayloadCodec.readHeader(empty).trace().isEmpty()).isTrue();

    byte[] nullTrace = new String(empty, StandardCharsets.UTF_8).replace("\"trace\":{}", "\"trace\":null")
        .getBytes(StandardCharsets.UTF_8);
    assertThat(TaskPayloadCodec.readHeader(nullTrace).trace().isEmpty()).isTrue();

    byte[] noTrace = new String(empty, StandardCharsets.UTF_8).replace(",\"trace\":{}", "")
        .getBytes(StandardCharsets.UTF_8);
    assertThat(TaskPayloadCodec.readHeader(noTrace).trace().isEmpty()).isTrue();
  }

  @Test
  void aHeaderThatCannotBeReadSaysWhy() {
    assertThatThrownBy(() -> TaskPayloadCodec.readHeader("nope".getBytes()))
        .isInstanceOf(InvalidPayloadException.class).hasMessageStartingWith("task payload is not valid");
    assertThatThrownBy(() -> TaskPayloadCodec.readHeader("[1]".getBytes()))
        .hasMessage("task payload must be a JSON object");
    assertThatThrownBy(() -> TaskPayloadCodec.readHeader("{\"tenant\":\"t\"}".getBytes()))
        .hasMessage("task payload is missing execution_id, tenant or workflow");
    assertThatThrownBy(() -> TaskPayloadCodec.readHeader(
        "{\"execution_id\":\"e\",\"tenant\":\"t\",\"workflow\":\"w\",\"trace\":7}".getBytes()))
        .hasMessage("task payload trace must be an object");
  }
}
