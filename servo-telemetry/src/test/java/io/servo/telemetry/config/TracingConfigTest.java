package io.servo.telemetry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.SettingsException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
        .isInstanceOf(SettingsException.class)
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
    assertRejected("tracing cannot start: SERVO_TRACE_SAMPLE_RATE has invalid value '1.5': expected a number from 0.0 to 1.0, e.g. 0.01 for 1%", "SERVO_TRACE_SAMPLE_RATE", "1.5");
    assertRejected("tracing cannot start: SERVO_TRACE_SAMPLE_RATE has invalid value '-0.1': expected a number from 0.0 to 1.0, e.g. 0.01 for 1%", "SERVO_TRACE_SAMPLE_RATE", "-0.1");
    assertRejected("tracing cannot start: SERVO_TRACE_SAMPLE_RATE has invalid value 'ten percent': expected a number from 0.0 to 1.0, e.g. 0.01 for 1%", "SERVO_TRACE_SAMPLE_RATE", "ten percent");
    assertRejected("tracing cannot start: SERVO_TRACE_SAMPLE_RATE has invalid value 'NaN': expected a number from 0.0 to 1.0, e.g. 0.01 for 1%", "SERVO_TRACE_SAMPLE_RATE", "NaN");
    assertRejected("tracing cannot start: OTEL_TRACES_SAMPLER_ARG has invalid value '2': expected a number from 0.0 to 1.0, e.g. 0.01 for 1%", "OTEL_TRACES_SAMPLER_ARG", "2");
    assertRejected("tracing cannot start: SERVO_ENVIRONMENT has invalid value 'prod': expected one of production, staging, development",
        "SERVO_ENVIRONMENT", "prod");
    assertRejected("tracing cannot start: SERVO_TRACE_EXPORTER has invalid value 'zipkin': expected one of cloudtrace, jaeger, otlp,"
        + " stdout, none", "SERVO_TRACE_EXPORTER", "zipkin");
    assertRejected("tracing cannot start: OTEL_TRACES_EXPORTER has invalid value 'zipkin': expected one of otlp, console, logging, none"
        + " (set SERVO_TRACE_EXPORTER for cloudtrace or jaeger)", "OTEL_TRACES_EXPORTER", "zipkin");
    assertRejected("tracing cannot start: SERVO_TRACE_ENABLED has invalid value 'yes': expected true or false",
        "SERVO_TRACE_ENABLED", "yes");
    assertRejected("tracing cannot start: SERVO_TRACE_FLUSH_ON_RESPONSE has invalid value '1': expected true or false",
        "SERVO_TRACE_FLUSH_ON_RESPONSE", "1");
    assertRejected("tracing cannot start: SERVO_LOG_FORMAT has invalid value 'xml': expected one of text, json", "SERVO_LOG_FORMAT", "xml");
    assertRejected("tracing cannot start: SERVO_TRACE_STDOUT_FORMAT has invalid value 'json': expected one of text, otlp-json",
        "SERVO_TRACE_STDOUT_FORMAT", "json");
    assertRejected("tracing cannot start: SERVO_TRACE_ENDPOINT has invalid value 'localhost:4318': expected an http:// or https:// URL with"
        + " a host, without query, e.g. http://localhost:4318", "SERVO_TRACE_ENDPOINT", "localhost:4318");
    assertRejected("tracing cannot start: SERVO_TRACE_ENDPOINT has invalid value 'http://exa mple': expected an http:// or https:// URL with"
        + " a host, without query, e.g. http://localhost:4318", "SERVO_TRACE_ENDPOINT", "http://exa mple");
    assertRejected("tracing cannot start: OTEL_EXPORTER_OTLP_ENDPOINT has invalid value 'ftp://collector': expected an http:// or https://"
        + " URL with a host, without query, e.g. http://localhost:4318",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector");
    assertRejected("tracing cannot start: OTEL_EXPORTER_OTLP_PROTOCOL has invalid value 'grpc': expected http/protobuf, the only OTLP"
        + " protocol Servo sends", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    assertRejected("tracing cannot start: OTEL_BSP_MAX_QUEUE_SIZE has invalid value '0': expected a whole number from 1 to 2147483647",
        "OTEL_BSP_MAX_QUEUE_SIZE", "0");
    assertRejected("tracing cannot start: OTEL_RESOURCE_ATTRIBUTES has invalid value 'team': expected a comma-separated list of key=value"
        + " pairs (e.g. key1=value1,key2=value2), percent-encoded; entry 1 is malformed",
        "OTEL_RESOURCE_ATTRIBUTES", "team");
  }

  @Test
  void malformedHeadersAreRejectedWithoutEchoingTheSecret() {
    assertThatThrownBy(() -> read("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer abc,topsecret"))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tracing cannot start: OTEL_EXPORTER_OTLP_HEADERS has an invalid value (not shown: it is a"
            + " secret): expected a comma-separated list of key=value pairs (e.g. key1=value1,key2=value2),"
            + " percent-encoded, each key an HTTP header name (letters, digits and !#$%&'*+-.^_`|~) and each"
            + " value free of control characters; entry 2 is malformed")
        .extracting(e -> ((SettingsException) e).variables().get(0))
        .isEqualTo("OTEL_EXPORTER_OTLP_HEADERS");
  }

  /**
   * ConfigFuzzTest found this (seed 2091123385235817078): a credential pasted across lines became
   * a header's name, which was accepted and shown by toString(). A name that is no HTTP field name
   * (and a value with a line break, which would also split the request) is refused, unshown.
   */
  @Test
  void aHeaderNameOrValueNoHttpHeaderCouldCarryIsRefusedUnshown() {
    for (String value : List.of("PW-SECRET-7f3a9c\nFORGED line\nAuthorization=Bearer%20",
        "Authorization PW-SECRET-7f3a9c=Bearer", "x-api-key=PW-SECRET-7f3a9c%0d%0aX-Injected: 1",
        "x-api-key=PW-SECRET-7f3a9c%00")) {
      assertThatThrownBy(() -> read("OTEL_EXPORTER_OTLP_TRACES_HEADERS", value))
          .as(value)
          .isInstanceOf(SettingsException.class)
          .hasMessageContaining("OTEL_EXPORTER_OTLP_TRACES_HEADERS has an invalid value (not shown: it is a secret)")
          .hasMessageContaining("each key an HTTP header name")
          .hasMessageNotContaining("PW-SECRET");
    }
    assertThat(read("OTEL_EXPORTER_OTLP_HEADERS", "X-Api_Key.v2=a%09b").otlpHeaders())
        .containsEntry("X-Api_Key.v2", "a\tb");
  }

  @Test
  void echoedValuesAreRedacted() {
    assertThatThrownBy(() -> read("SERVO_TRACE_ENDPOINT", "htp://user:hunter2@collector:4318"))
        .isInstanceOf(SettingsException.class)
        .hasMessageNotContaining("hunter2")
        .hasMessageStartingWith("tracing cannot start: SERVO_TRACE_ENDPOINT has invalid value 'htp://user:[REDACTED]@collector:4318'");
  }
}
