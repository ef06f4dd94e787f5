package io.servo.cli.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.ServoTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The spans of one execution as they reached the services' exporters, and DESIGN.md's tree checked on them. */
final class TraceShape {
  final String traceId;
  final List<SpanData> spans;
  private final Map<String, SpanData> byId;

  private TraceShape(String traceId, List<SpanData> spans) {
    this.traceId = traceId;
    this.spans = spans;
    this.byId = spans.stream().collect(Collectors.toMap(SpanData::getSpanId, Function.identity(), (a, b) -> a));
  }

  /** Flushes the services until the worker's server span of {@code traceId} has arrived (bounded). */
  static TraceShape collect(String traceId, List<ServoTelemetry> telemetries, InMemorySpanExporter... exporters)
      throws InterruptedException {
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      telemetries.forEach(t -> t.forceFlush(Duration.ofSeconds(2)));
      spans.clear();
      for (InMemorySpanExporter e : exporters) {
        e.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).forEach(spans::add);
      }
      if (spans.stream().anyMatch(s -> s.getName().equals("POST /execute"))
          && spans.stream().anyMatch(s -> s.getName().equals("worker.execute_workflow"))) {
        break;
      }
      Thread.sleep(100);
    }
    return new TraceShape(traceId, List.copyOf(spans));
  }

  SpanData one(String name) {
    List<SpanData> found = all(name);
    assertThat(found).as("spans named %s in %s", name, names()).hasSize(1);
    return found.get(0);
  }

  List<SpanData> all(String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).toList();
  }

  List<String> names() {
    return spans.stream().map(s -> s.getName() + "(" + s.getKind() + ")").sorted().toList();
  }

  SpanData parentOf(SpanData span) {
    return byId.get(span.getParentSpanId());
  }

  String service(SpanData span) {
    return span.getResource().getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("service.name"));
  }

  /**
   * DESIGN.md's tree: API SERVER → enqueue_execution → (INSERT …, cloud_tasks.enqueue PRODUCER →
   * hand-off CLIENT); worker SERVER (parent: the producer) → execute_workflow CONSUMER → assets.
   */
  void assertDesignTree(String handOffSpan, List<String> assets) {
    assertThat(spans).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
    SpanData api = one("POST /v1/workflows/{name}/executions");
    assertThat(api.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(service(api)).isEqualTo("servo-orchestrator");
    SpanData enqueue = one("orchestrator.enqueue_execution");
    assertThat(parentOf(enqueue)).isEqualTo(api);
    assertThat(spans).anySatisfy(s -> {
      // The stable database conventions: named by the query summary, never by the database.
      assertThat(s.getName()).matches("INSERT (servo\\.)?executions");
      assertThat(s.getAttributes().get(AttributeKey.stringKey("db.operation.name"))).isEqualTo("INSERT");
      assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(parentOf(s)).isEqualTo(enqueue);
    });
    SpanData producer = one("cloud_tasks.enqueue");
    assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(parentOf(producer)).isEqualTo(enqueue);
    SpanData handOff = one(handOffSpan);
    assertThat(handOff.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(parentOf(handOff)).isEqualTo(producer);

    SpanData server = one("POST /execute");
    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(service(server)).isEqualTo("servo-worker");
    assertThat(parentOf(server)).as("the worker parents on the producer span").isEqualTo(producer);
    SpanData consumer = one("worker.execute_workflow");
    assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(parentOf(consumer)).isEqualTo(server);
    List<SpanData> assetSpans = all("worker.execute_asset");
    assertThat(assetSpans).allSatisfy(a -> assertThat(parentOf(a)).isEqualTo(consumer));
    assertThat(assetSpans).extracting(a -> a.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("servo.asset.name")))
        .containsExactlyInAnyOrderElementsOf(assets);
    assertThat(spans).as("every span but the root has its parent in the trace")
        .allSatisfy(s -> assertThat(s == api || byId.containsKey(s.getParentSpanId())).as(s.getName()).isTrue());
  }
}
