package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process SIGKILLed in the middle of an asset, tracing at 100%: the spans it had already
 * exported (the first asset's, the statements of its claim and of the running asset) must not
 * reach the backend without their parents. The worker that takes the execution over ends the dead
 * attempt's SERVER, CONSUMER and asset spans with their original ids, as errors, and completes the
 * execution exactly once. Spans are read from each worker's stdout exporter, one line per span.
 */
class WorkerKilledTraceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  /** Closed last-opened first: the workers, then the orchestrator, then the database. */
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();

  /** One exported span, as the stdout exporter printed it. */
  private record Line(String name, String kind, String traceId, String spanId, String parentId,
      String status, String error) {}

  @AfterEach
  void stop() throws Exception {
    while (!opened.isEmpty()) {
      opened.pop().close();
    }
  }

  private <T extends AutoCloseable> T opened(T resource) {
    opened.push(resource);
    return resource;
  }

  @Test
  void aKilledAttemptLeavesNoOrphanSpanAndShowsAsAnError() throws Exception {
    PostgresTestDatabase database = opened(PostgresTestDatabase.create());
    Path marker = dir.resolve("started-once");
    Map<String, String> workerEnv = ServoProcess.workerEnvironment(database.url(), dir);
    workerEnv.put("SERVO_EXECUTION_LEASE", "3s");
    workerEnv.put("SERVO_TRACE_ENABLED", "true");
    workerEnv.put("SERVO_TRACE_SAMPLE_RATE", "1.0");
    workerEnv.put("SERVO_TRACE_EXPORTER", "stdout");
    workerEnv.put("SERVO_TRACE_STDOUT_FORMAT", "otlp-json");
    // Spans that ended before the kill are out before it: the orphans the issue saw.
    workerEnv.put("OTEL_BSP_SCHEDULE_DELAY", "50");
    ServoProcess first = opened(ServoProcess.start("worker", workerEnv, dir.resolve("worker-1.log"))).awaitListening(Duration.ofSeconds(30));

    InProcessServo orchestratorSide = opened(InProcessServo.builder(database.url())
        .env(Map.of("SERVO_TRACE_ENABLED", "true", "SERVO_TRACE_SAMPLE_RATE", "1.0", "SERVO_TRACE_EXPORTER", "none"))
        .orchestrator(b -> b.localQueue(q -> q.maxBackoff(Duration.ofMillis(500)).maxAttempts(100)))
        .workerUrl(first.url())
        .start());
    orchestratorSide.deploy("crashy", """
        workflow: crashy
        assets:
          - {name: first, kind: sql, sql: SELECT 1}
          - {name: slow, kind: command, command: [sh, -c, "if [ -e %s ]; then exit 0; fi; touch %s; sleep 120"], depends_on: [first]}
        """.formatted(marker, marker));
    InProcessServo.Started started = orchestratorSide.start("crashy");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> Files.exists(marker));
    // The first asset's span (ended) has been exported; its parent, the CONSUMER span, is still open.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> spans(first.output(), started.traceId()).stream().anyMatch(s -> s.name().equals("worker.execute_asset")));
    first.kill();
    List<Line> beforeKill = spans(first.output(), started.traceId());

    ServoProcess second = opened(ServoProcess.start("worker", workerEnv, dir.resolve("worker-2.log")))
        .awaitListening(Duration.ofSeconds(30));
    Execution ended = orchestratorSide.awaitEnded(started.id(), Duration.ofSeconds(90)).orElseThrow();
    assertThat(ended.state()).as(second.output()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(ended.attempt()).isEqualTo(2);
    assertThat(orchestratorSide.storage.executions().assetResults(InProcessServo.TENANT, started.id()))
        .extracting(AssetResult::status).containsExactly(AssetStatus.SUCCEEDED, AssetStatus.SUCCEEDED);
    // The taking-over attempt's own SERVER span ends last, after its answer was decided.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> spans(second.output(), started.traceId()).stream()
            .anyMatch(s -> s.name().equals("POST /execute") && s.error() == null));

    List<Line> all = new ArrayList<>(beforeKill);
    all.addAll(spans(second.output(), started.traceId()));
    Set<String> ids = all.stream().map(Line::spanId).collect(Collectors.toSet());
    assertThat(ids).as("each span exported once").hasSameSizeAs(all);
    // The worker's part of the trace hangs from one span only: the orchestrator's producer span.
    Set<String> producer = all.stream().filter(s -> s.name().equals("POST /execute")).map(Line::parentId)
        .collect(Collectors.toSet());
    assertThat(producer).hasSize(1);
    Set<String> missing = new HashSet<>();
    for (Line s : all) {
      if (!ids.contains(s.parentId()) && !producer.contains(s.parentId())) {
        missing.add(s.name() + " " + s.spanId() + " (parent " + s.parentId() + ")");
      }
    }
    assertThat(missing).as("spans whose parent never arrived:%n%s%n%s", first.output(), second.output()).isEmpty();

    List<Line> lost = all.stream().filter(s -> s.error() != null && s.error().startsWith("worker lost; lease expired at ")).toList();
    assertThat(lost).extracting(Line::name).containsExactlyInAnyOrder(
        "POST /execute", "worker.execute_workflow", "worker.execute_asset");
    assertThat(lost).extracting(Line::status).containsOnly("ERROR");
    assertThat(lost).extracting(Line::spanId).doesNotContainAnyElementsOf(
        beforeKill.stream().map(Line::spanId).toList());
    System.out.printf("kill -9: %d spans before the kill, %d in all; the lost attempt's %d spans ended by the next worker%n",
        beforeKill.size(), all.size(), lost.size());
  }

  /** The spans of {@code traceId} in a worker's stdout, written by the machine-readable stdout exporter. */
  private static List<Line> spans(String output, String traceId) {
    List<Line> spans = new ArrayList<>();
    for (String text : output.split("\n")) {
      if (!text.startsWith("{\"resourceSpans\"")) {
        continue;
      }
      JsonNode request;
      try {
        request = JSON.readTree(text);
      } catch (IOException e) {
        continue; // a line cut by the kill
      }
      for (JsonNode resource : request.path("resourceSpans")) {
        for (JsonNode scope : resource.path("scopeSpans")) {
          for (JsonNode span : scope.path("spans")) {
            if (!span.path("traceId").asText().equals(traceId)) {
              continue;
            }
            JsonNode status = span.path("status");
            int code = status.path("code").asInt(0);
            String message = status.path("message").asText("");
            spans.add(new Line(span.path("name").asText(), span.path("kind").asText(), traceId,
                span.path("spanId").asText(), span.path("parentSpanId").asText("-"),
                code == 2 ? "ERROR" : code == 1 ? "OK" : "UNSET", message.isEmpty() ? null : message));
          }
        }
      }
    }
    return spans;
  }
}
