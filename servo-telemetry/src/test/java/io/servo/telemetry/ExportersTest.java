package io.servo.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.servo.telemetry.config.TracingConfig;
import io.servo.settings.SettingsException;
import io.servo.testing.otlp.OtlpReceiver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ExportersTest {

  private static final Duration FLUSH = Duration.ofSeconds(10);

  static TracingConfig config(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    env.put("SERVO_TRACE_ENABLED", "true");
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return TracingConfig.from(env);
  }

  private static void work(ServoTelemetry telemetry, String name) {
    Tracer tracer = telemetry.openTelemetry().getTracer("test");
    Span span = tracer.spanBuilder(name)
        .setAttribute("servo.asset.name", "raw_orders")
        .setAttribute("db.password", "hunter2")
        .setAttribute("url.full", "postgres://servo:hunter2@db/servo")
        .startSpan();
    span.end();
  }

  @Test
  void otlpSendsProtobufWithTheOtelHeadersAndRedactedSpans() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.start()) {
      ServoTelemetry telemetry = ServoTelemetry.start(config(
          "SERVO_TRACE_EXPORTER", "otlp",
          "SERVO_TRACE_ENDPOINT", collector.endpoint(),
          "OTEL_EXPORTER_OTLP_HEADERS", "api-key=k-123,x-tenant=acme",
          "SERVO_ENVIRONMENT", "staging"), "servo-orchestrator");

      work(telemetry, "orchestrator.enqueue_execution");
      assertThat(telemetry.shutdown(FLUSH)).isTrue();

      assertThat(collector.exports()).isNotEmpty();
      assertThat(collector.exports().get(0).headers())
          .containsEntry("api-key", "k-123").containsEntry("x-tenant", "acme")
          .containsEntry("content-type", "application/x-protobuf");
      var span = collector.spans().get(0);
      assertThat(span.getName()).isEqualTo("orchestrator.enqueue_execution");
      assertThat(OtlpReceiver.strings(span.getAttributesList()))
          .containsEntry("servo.asset.name", "raw_orders")
          .containsEntry("db.password", "[REDACTED]")
          .containsEntry("url.full", "postgres://servo:[REDACTED]@db/servo");
      assertThat(collector.resourceAttributes())
          .containsEntry("service.name", "servo-orchestrator")
          .containsEntry("deployment.environment.name", "staging")
          .containsKey("service.version")
          .doesNotContainKey("process.command_line");
    }
  }

  @Test
  void jaegerSendsOtlpToItsEndpoint() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.start()) {
      ServoTelemetry telemetry = ServoTelemetry.start(config(
          "SERVO_TRACE_EXPORTER", "jaeger",
          "SERVO_TRACE_ENDPOINT", collector.endpoint()), "servo-worker");

      work(telemetry, "worker.execute_asset");
      assertThat(telemetry.forceFlush(FLUSH)).isTrue();

      assertThat(collector.spans()).extracting(s -> s.getName()).containsExactly("worker.execute_asset");
      assertThat(collector.resourceAttributes()).containsEntry("service.name", "servo-worker");
      telemetry.close();
    }
  }

  @Test
  void cloudTraceSendsBearerTokensThatAreRefreshedAndTheProject() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.start()) {
      RotatingCredentials credentials = new RotatingCredentials();
      ServoTelemetry telemetry = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "cloudtrace",
              "SERVO_TRACE_ENDPOINT", collector.endpoint(),
              "GCP_PROJECT_ID", "acme-prod"), "servo-worker")
          .googleCredentials(credentials)
          .start();

      // One export at a time: a flush returns once its spans are out.
      work(telemetry, "first");
      assertThat(telemetry.forceFlush(FLUSH)).isTrue();
      assertThat(collector.exports()).hasSize(1);
      work(telemetry, "second");
      assertThat(telemetry.forceFlush(FLUSH)).isTrue();
      telemetry.close();

      assertThat(collector.exports()).hasSize(2);
      // Each token handed out is already expired, so every export must refresh it.
      assertThat(collector.exports().get(0).headers())
          .containsEntry("authorization", "Bearer token-1")
          .containsEntry("x-goog-user-project", "acme-prod");
      assertThat(collector.exports().get(1).headers())
          .containsEntry("authorization", "Bearer token-2");
      assertThat(collector.resourceAttributes()).containsEntry("gcp.project_id", "acme-prod");
    }
  }

  @Test
  void cloudTraceTakesTheProjectFromTheCredentialsThenTheMetadataServer() throws Exception {
    try (OtlpReceiver collector = OtlpReceiver.start()) {
      ServoTelemetry fromCredentials = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "cloudtrace",
              "SERVO_TRACE_ENDPOINT", collector.endpoint()), "servo-worker")
          .googleCredentials(new RotatingCredentials().createWithQuotaProject("quota-project"))
          .start();
      work(fromCredentials, "a");
      fromCredentials.shutdown(FLUSH);
      assertThat(collector.exports().get(0).headers())
          .containsEntry("x-goog-user-project", "quota-project");
    }

    HttpServer metadata = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    metadata.createContext("/computeMetadata/v1/project/project-id", exchange -> {
      boolean flavored = "Google".equals(exchange.getRequestHeaders().getFirst("Metadata-Flavor"));
      byte[] body = "metadata-project".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Metadata-Flavor", "Google");
      exchange.sendResponseHeaders(flavored ? 200 : 403, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    metadata.start();
    try (OtlpReceiver collector = OtlpReceiver.start()) {
      ServoTelemetry fromMetadata = ServoTelemetry.builder(config(
              "SERVO_TRACE_EXPORTER", "cloudtrace",
              "SERVO_TRACE_ENDPOINT", collector.endpoint()), "servo-worker")
          .googleCredentials(new RotatingCredentials())
          .metadataServer(URI.create("http://127.0.0.1:" + metadata.getAddress().getPort()))
          .start();
      work(fromMetadata, "b");
      fromMetadata.shutdown(FLUSH);
      assertThat(collector.exports().get(0).headers())
          .containsEntry("x-goog-user-project", "metadata-project");
      assertThat(collector.resourceAttributes()).containsEntry("gcp.project_id", "metadata-project");
    } finally {
      metadata.stop(0);
    }
  }

  @Test
  void cloudTraceWithoutAProjectFailsWithTheFix() throws Exception {
    // A port nothing listens on: the metadata server is unreachable, as off GCP.
    int closedPort;
    try (var socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    assertThatThrownBy(() -> ServoTelemetry.builder(config("SERVO_TRACE_EXPORTER", "cloudtrace"),
            "servo-worker")
        .googleCredentials(new RotatingCredentials())
        .metadataServer(URI.create("http://127.0.0.1:" + closedPort))
        .start())
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("set GCP_PROJECT_ID");
  }

  @Test
  void stdoutWritesOneHeadLinePerSpanWithItsDetailsRedacted() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ServoTelemetry telemetry = ServoTelemetry.builder(
            config("SERVO_TRACE_EXPORTER", "stdout"), "servo-worker")
        .stdout(new PrintStream(bytes, true, StandardCharsets.UTF_8))
        .start();

    work(telemetry, "first span");
    work(telemetry, "second span");
    telemetry.shutdown(FLUSH);

    String output = bytes.toString(StandardCharsets.UTF_8);
    List<String> heads = output.lines().filter(l -> l.contains(" SPAN ")).toList();
    assertThat(heads).hasSize(2);
    assertThat(heads.get(0)).endsWith(" INTERNAL servo-worker  first span  OK");
    assertThat(heads.get(1)).endsWith(" INTERNAL servo-worker  second span  OK");
    assertThat(output).contains("servo.asset.name=raw_orders", "db.password=[REDACTED]").doesNotContain("hunter2");
  }

  /** Fake Google credentials whose every token is already expired, so each use refreshes. */
  static final class RotatingCredentials extends GoogleCredentials {
    private static final long serialVersionUID = 1L;
    private final AtomicInteger refreshes = new AtomicInteger();

    RotatingCredentials() {
      super(GoogleCredentials.newBuilder());
    }

    @Override
    public AccessToken refreshAccessToken() {
      return new AccessToken("token-" + refreshes.incrementAndGet(),
          new Date(System.currentTimeMillis() - 1000));
    }

    @Override
    public GoogleCredentials createWithQuotaProject(String quotaProject) {
      RotatingCredentials outer = this;
      return new GoogleCredentials(GoogleCredentials.newBuilder().setQuotaProjectId(quotaProject)) {
        private static final long serialVersionUID = 1L;

        @Override
        public AccessToken refreshAccessToken() {
          return outer.refreshAccessToken();
        }
      };
    }
  }
}
