package io.servo.telemetry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TracingConfigTest {

  private static TracingConfig read(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return TracingConfig.from(env);
  }

  private static void assertRejected(String message, String... keyValues) {
    assertThatThrownBy(() -> read(keyValues))
        .isInstanceOf(TracingConfigException.class)
        .hasMessage(message);
  }

  @Test
  void defaultsWithAnEmptyEnvironment() {
    TracingConfig config = read();

    assertThat(config.environment()).isEqualTo(DeploymentEnvironment.DEVELOPMENT);
    assertThat(config.enabled()).isFalse();
    assertThat(config.sampleRate()).isEqualTo(1.0);
    assertThat(config.exporter()).isEqualTo(TraceExporter.CLOUDTRACE);
    assertThat(config.exporterExplicit()).isFalse();
    assertThat(config.tracesEndpoint())
        .contains(URI.create("https://telemetry.googleapis.com/v1/traces"));
    assertThat(config.gcpProjectId()).isEmpty();
    assertThat(config.extraRedactKeys()).isEmpty();
    assertThat(config.logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(config.flushOnResponse()).isFalse();
    assertThat(config.onCloudRun()).isFalse();
    assertThat(config.serviceNameOverride()).isEmpty();
    assertThat(config.otlpHeaders()).isEmpty();
    assertThat(config.maxQueueSize()).isEqualTo(2048);
    assertThat(config.exportTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @ParameterizedTest
  @CsvSource({"production,0.01", "staging,1.0", "development,1.0", "PRODUCTION,0.01"})
  void sampleRateDefaultsByEnvironment(String environment, double rate) {
    assertThat(read("SERVO_ENVIRONMENT", environment).sampleRate()).isEqualTo(rate);
  }

  @Test
  void explicitSampleRateAndEnvironment() {
    TracingConfig config = read("SERVO_ENVIRONMENT", "production", "SERVO_TRACE_SAMPLE_RATE", "0.25",
        "SERVO_TRACE_ENABLED", "true");
    assertThat(config.environment()).isEqualTo(DeploymentEnvironment.PRODUCTION);
    assertThat(config.sampleRate()).isEqualTo(0.25);
    assertThat(config.enabled()).isTrue();
    assertThat(read("SERVO_TRACE_SAMPLE_RATE", "0").sampleRate()).isEqualTo(0.0);
    assertThat(read("SERVO_TRACE_SAMPLE_RATE", "1").sampleRate()).isEqualTo(1.0);
  }

  @Test
  void servoSampleRateWinsOverOtelSamplerArg() {
    assertThat(read("OTEL_TRACES_SAMPLER_ARG", "0.5").sampleRate()).isEqualTo(0.5);
    assertThat(read("OTEL_TRACES_SAMPLER_ARG", "0.5", "SERVO_TRACE_SAMPLE_RATE", "0.1")
        .sampleRate()).isEqualTo(0.1);
    assertThat(read("OTEL_TRACES_SAMPLER", "always_on", "OTEL_TRACES_SAMPLER_ARG", "0.5")
        .sampleRate()).isEqualTo(1.0);
  }

  @ParameterizedTest
  @CsvSource({
      "jaeger,http://localhost:4318/v1/traces",
      "otlp,http://localhost:4318/v1/traces",
      "cloudtrace,https://telemetry.googleapis.com/v1/traces"})
  void endpointDefaultsByExporter(String exporter, String endpoint) {
    TracingConfig config = read("SERVO_TRACE_EXPORTER", exporter);
    assertThat(config.exporterExplicit()).isTrue();
    assertThat(config.tracesEndpoint()).contains(URI.create(endpoint));
  }

  @Test
  void stdoutAndNoneHaveNoEndpoint() {
    assertThat(read("SERVO_TRACE_EXPORTER", "stdout").tracesEndpoint()).isEmpty();
    assertThat(read("SERVO_TRACE_EXPORTER", "none").tracesEndpoint()).isEmpty();
  }

  @Test
  void servoEndpointGetsTheTracesPathOnlyWhenItHasNoPath() {
    assertThat(read("SERVO_TRACE_EXPORTER", "otlp", "SERVO_TRACE_ENDPOINT", "http://collector:4318")
        .tracesEndpoint()).contains(URI.create("http://collector:4318/v1/traces"));
    assertThat(read("SERVO_TRACE_EXPORTER", "otlp", "SERVO_TRACE_ENDPOINT",
        "http://collector:4318/custom/traces").tracesEndpoint())
        .contains(URI.create("http://collector:4318/custom/traces"));
  }

  @Test
  void otelEndpointsApplyToOtlpReceiversAndServoWins() {
    assertThat(read("SERVO_TRACE_EXPORTER", "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/base/")
        .tracesEndpoint()).contains(URI.create("http://c:4318/base/v1/traces"));
    assertThat(read("SERVO_TRACE_EXPORTER", "jaeger",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/exact",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4318").tracesEndpoint())
        .contains(URI.create("http://c:4318/exact"));
    assertThat(read("SERVO_TRACE_EXPORTER", "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "SERVO_TRACE_ENDPOINT", "http://servo:4318").tracesEndpoint())
        .contains(URI.create("http://servo:4318/v1/traces"));
    assertThat(read("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318").tracesEndpoint())
        .contains(URI.create("https://telemetry.googleapis.com/v1/traces"));
  }

  @Test
  void otelTracesExporterIsUsedWhenServoIsUnset() {
    assertThat(read("OTEL_TRACES_EXPORTER", "otlp").exporter()).isEqualTo(TraceExporter.OTLP);
    assertThat(read("OTEL_TRACES_EXPORTER", "console").exporter()).isEqualTo(TraceExporter.STDOUT);
    assertThat(read("OTEL_TRACES_EXPORTER", "otlp", "SERVO_TRACE_EXPORTER", "none").exporter())
        .isEqualTo(TraceExporter.NONE);
  }

  @Test
  void cloudRunDefaults() {
    TracingConfig config = read("K_SERVICE", "servo-worker");
    assertThat(config.onCloudRun()).isTrue();
    assertThat(config.gcpServerless()).isTrue();
    assertThat(config.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(config.flushOnResponse()).isTrue();

    TracingConfig overridden = read("K_SERVICE", "servo-worker", "SERVO_LOG_FORMAT", "text",
        "SERVO_TRACE_FLUSH_ON_RESPONSE", "false");
    assertThat(overridden.logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(overridden.flushOnResponse()).isFalse();
  }

  @Test
  void theStdoutExporterFollowsTheLogFormatUnlessTold() {
    assertThat(read().stdoutFormat()).isEqualTo(StdoutSpanFormat.TEXT);
    assertThat(read("K_SERVICE", "servo-worker").stdoutFormat()).isEqualTo(StdoutSpanFormat.OTLP_JSON);
    assertThat(read("SERVO_LOG_FORMAT", "json", "SERVO_TRACE_STDOUT_FORMAT", "text").stdoutFormat())
        .isEqualTo(StdoutSpanFormat.TEXT);
  }

  @Test
  void projectRedactKeysServiceNameAndResourceAttributes() {
    TracingConfig config = read("GCP_PROJECT_ID", "acme-prod",
        "SERVO_TRACE_REDACT_KEYS", " Customer_Email, ssn ,,",
        "OTEL_RESOURCE_ATTRIBUTES", "team=data,service.name=from-attrs,note=a%20b",
        "OTEL_SERVICE_NAME", "custom-name");
    assertThat(config.gcpProjectId()).contains("acme-prod");
    assertThat(config.extraRedactKeys()).containsExactly("customer_email", "ssn");
    assertThat(config.resourceAttributes())
        .containsEntry("team", "data").containsEntry("note", "a b");
    assertThat(config.serviceNameOverride()).contains("custom-name");
    assertThat(read("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs").serviceNameOverride())
        .contains("from-attrs");
  }

  @Test
  void otlpHeadersAreParsedAndNeverPrinted() {
    TracingConfig config = read("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cr3t-value,x-tenant=acme",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=traces");
    assertThat(config.otlpHeaders())
        .containsEntry("api-key", "s3cr3t-value").containsEntry("x-tenant", "traces");
    assertThat(config.toString()).doesNotContain("s3cr3t-value").contains("api-key");
  }

  @Test
  void blankValuesCountAsUnset() {
    assertThat(read("SERVO_TRACE_SAMPLE_RATE", " ", "SERVO_ENVIRONMENT", "").sampleRate())
        .isEqualTo(1.0);
  }

  @Test
  void invalidValuesAreRejectedWithTheVariableTheValueAndTheAcceptedValues() {
    assertRejected("SERVO_TRACE_SAMPLE_RATE=\"1.5\" is not a number between 0.0 and 1.0"
        + " (for example 0.01 for 1%)", "SERVO_TRACE_SAMPLE_RATE", "1.5");
    assertRejected("SERVO_TRACE_SAMPLE_RATE=\"-0.1\" is not a number between 0.0 and 1.0"
        + " (for example 0.01 for 1%)", "SERVO_TRACE_SAMPLE_RATE", "-0.1");
    assertRejected("SERVO_TRACE_SAMPLE_RATE=\"ten percent\" is not a number between 0.0 and 1.0"
        + " (for example 0.01 for 1%)", "SERVO_TRACE_SAMPLE_RATE", "ten percent");
    assertRejected("SERVO_TRACE_SAMPLE_RATE=\"NaN\" is not a number between 0.0 and 1.0"
        + " (for example 0.01 for 1%)", "SERVO_TRACE_SAMPLE_RATE", "NaN");
    assertRejected("OTEL_TRACES_SAMPLER_ARG=\"2\" is not a number between 0.0 and 1.0"
        + " (for example 0.01 for 1%)", "OTEL_TRACES_SAMPLER_ARG", "2");
    assertRejected("SERVO_ENVIRONMENT=\"prod\" is not one of production, staging, development",
        "SERVO_ENVIRONMENT", "prod");
    assertRejected("SERVO_TRACE_EXPORTER=\"zipkin\" is not one of cloudtrace, jaeger, otlp,"
        + " stdout, none", "SERVO_TRACE_EXPORTER", "zipkin");
    assertRejected("OTEL_TRACES_EXPORTER=\"zipkin\" is not one of otlp, console, logging, none"
        + " (set SERVO_TRACE_EXPORTER for cloudtrace or jaeger)", "OTEL_TRACES_EXPORTER", "zipkin");
    assertRejected("SERVO_TRACE_ENABLED=\"yes\" is not true or false",
        "SERVO_TRACE_ENABLED", "yes");
    assertRejected("SERVO_TRACE_FLUSH_ON_RESPONSE=\"1\" is not true or false",
        "SERVO_TRACE_FLUSH_ON_RESPONSE", "1");
    assertRejected("SERVO_LOG_FORMAT=\"xml\" is not one of text, json", "SERVO_LOG_FORMAT", "xml");
    assertRejected("SERVO_TRACE_STDOUT_FORMAT=\"json\" is not one of text, otlp-json",
        "SERVO_TRACE_STDOUT_FORMAT", "json");
    assertRejected("SERVO_TRACE_ENDPOINT=\"localhost:4318\" is not an http:// or https:// URL with"
        + " a host (for example http://localhost:4318)", "SERVO_TRACE_ENDPOINT", "localhost:4318");
    assertRejected("SERVO_TRACE_ENDPOINT=\"http://exa mple\" is not an http:// or https:// URL with"
        + " a host (for example http://localhost:4318)", "SERVO_TRACE_ENDPOINT", "http://exa mple");
    assertRejected("OTEL_EXPORTER_OTLP_ENDPOINT=\"ftp://collector\" is not an http:// or https://"
        + " URL with a host (for example http://localhost:4318)",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector");
    assertRejected("OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\" is not http/protobuf, the only OTLP"
        + " protocol Servo sends", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    assertRejected("OTEL_BSP_MAX_QUEUE_SIZE=\"0\" is not a positive whole number",
        "OTEL_BSP_MAX_QUEUE_SIZE", "0");
    assertRejected("OTEL_RESOURCE_ATTRIBUTES=\"team\" is not a comma-separated list of key=value"
        + " pairs (for example key1=value1,key2=value2): entry 1 is malformed",
        "OTEL_RESOURCE_ATTRIBUTES", "team");
  }

  @Test
  void malformedHeadersAreRejectedWithoutEchoingTheSecret() {
    assertThatThrownBy(() -> read("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer abc,topsecret"))
        .isInstanceOf(TracingConfigException.class)
        .hasMessage("OTEL_EXPORTER_OTLP_HEADERS is not a comma-separated list of key=value pairs"
            + " (for example key1=value1,key2=value2): entry 2 is malformed"
            + " (the value is not shown because it may hold credentials)")
        .extracting(e -> ((TracingConfigException) e).variable())
        .isEqualTo("OTEL_EXPORTER_OTLP_HEADERS");
  }

  @Test
  void echoedValuesAreRedacted() {
    assertThatThrownBy(() -> read("SERVO_TRACE_ENDPOINT", "htp://user:hunter2@collector:4318"))
        .isInstanceOf(TracingConfigException.class)
        .hasMessageNotContaining("hunter2")
        .hasMessageStartingWith("SERVO_TRACE_ENDPOINT=\"htp://user:[REDACTED]@collector:4318\"");
  }
}
