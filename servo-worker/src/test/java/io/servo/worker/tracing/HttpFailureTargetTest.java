package io.servo.worker.tracing;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.servo.storage.AssetResult;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failing {@code http} asset names where its request went (method, scheme, host, port) and the
 * answer's status and reason or the connection error, in its result, its span's status and its
 * exception event; never the resolved path, query or user info, which may hold secrets.
 */
class HttpFailureTargetTest {
  private static final String TOKEN = "tok-3f9a1c77e2b04d5e";

  @TempDir Path dir;
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private OpenTelemetrySdk otel;
  private CallLog callee;
  private WorkerHarness worker;
  private int closedPort;

  @BeforeEach
  void setUp() throws Exception {
    otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    callee = CallLog.start();
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort(); // nothing listens there once closed
    }
    String calleeHostPort = callee.baseUrl().replaceFirst("^http://", "");
    worker = WorkerHarness.start(dir, Map.of(
            "NOTIFY_URL", "http://user:pw-" + TOKEN + "@" + calleeHostPort + "/fail/" + TOKEN + "?key=" + TOKEN,
            "TOKEN", TOKEN,
            "DEAD_HOST", "127.0.0.1:" + closedPort),
        builder -> builder.openTelemetry(otel));
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
    otel.close();
  }

  @Test
  void anAnswerIsNamedByOriginStatusAndReasonNotByItsSecretPathQueryOrUserInfo() {
    String expected = "POST " + callee.baseUrl() + " (from ${env:NOTIFY_URL}) failed: HTTP 500 Internal Server Error";

    Failure failure = run("""
        workflow: notify
        assets:
          - name: notify
            kind: http
            method: POST
            url: ${env:NOTIFY_URL}
        """);

    assertThat(failure.result().error()).isEqualTo(expected);
    assertThat(failure.statusDescription()).isEqualTo(expected);
    assertThat(failure.eventMessage()).startsWith(expected + "\n");
    // The message names no path (the callee's answer, which echoes it masked, is the output's business).
    assertThat(failure.result().error() + failure.statusDescription()).doesNotContain("/fail");
    assertThat(failure.everything()).doesNotContain(TOKEN).doesNotContain("user");
  }

  @Test
  void aConnectionErrorNamesTheHostEvenWhenItCameFromAReference() {
    String expected = "GET http://127.0.0.1:" + closedPort + " (from http://${env:DEAD_HOST}/hook/${env:TOKEN})"
        + " failed: ConnectException";

    Failure failure = run("""
        workflow: notify
        assets:
          - name: notify
            kind: http
            url: http://${env:DEAD_HOST}/hook/${env:TOKEN}
        """);

    assertThat(failure.result().error()).startsWith(expected);
    assertThat(failure.statusDescription()).startsWith(expected);
    assertThat(failure.eventMessage()).startsWith(expected);
    assertThat(failure.everything()).doesNotContain(TOKEN);
  }

  private record Failure(AssetResult result, String statusDescription, String eventMessage) {
    String everything() {
      return result.error() + "\n" + result.output() + "\n" + statusDescription + "\n" + eventMessage;
    }
  }

  private Failure run(String workflow) {
    var task = worker.newExecution(workflow);
    HttpResponse<String> response = worker.post(task.body());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("failed");
    AssetResult result = worker.storage().executions().assetResults(task.tenant(), task.executionId()).stream()
        .filter(r -> r.assetName().equals("notify")).findFirst().orElseThrow();
    SpanData span = spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals("worker.execute_asset")).findFirst().orElseThrow();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    String event = span.getEvents().get(0).getAttributes().get(AttributeKey.stringKey("exception.message"));
    return new Failure(result, span.getStatus().getDescription(), event);
  }
}
