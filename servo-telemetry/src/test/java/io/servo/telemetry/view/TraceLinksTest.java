package io.servo.telemetry.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.telemetry.config.TracingConfig;
import io.servo.settings.SettingsException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TraceLinksTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

  private static TracingConfig read(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return TracingConfig.from(env);
  }

  private static Optional<String> url(String... keyValues) {
    return TraceLinks.create(read(keyValues)).url(TRACE_ID);
  }

  @Test
  void cloudTraceWithAProjectLinksToTheConsole() {
    assertThat(url("SERVO_TRACE_EXPORTER", "cloudtrace", "GCP_PROJECT_ID", "acme-prod",
        "SERVO_TRACE_UI_URL", "https://ui.example.com/t/{trace_id}"))
        .contains("https://console.cloud.google.com/traces/list?project=acme-prod&tid=" + TRACE_ID);
  }

  @Test
  void cloudTraceUsesAProjectFoundAtStartUp() {
    assertThat(TraceLinks.create(read(), Optional.of("detected-project")).url(TRACE_ID))
        .contains("https://console.cloud.google.com/traces/list?project=detected-project&tid="
            + TRACE_ID);
  }

  @Test
  void withoutAProjectTheTemplateIsUsed() {
    assertThat(url("SERVO_TRACE_UI_URL", "https://ui.example.com/t/{trace_id}?x=1"))
        .contains("https://ui.example.com/t/" + TRACE_ID + "?x=1");
    assertThat(url("SERVO_TRACE_EXPORTER", "jaeger",
        "SERVO_TRACE_UI_URL", "http://jaeger.internal:16686/trace/{trace_id}"))
        .contains("http://jaeger.internal:16686/trace/" + TRACE_ID);
  }

  @Test
  void jaegerWithoutATemplateLinksToLocalhost() {
    assertThat(url("SERVO_TRACE_EXPORTER", "jaeger"))
        .contains("http://localhost:16686/trace/" + TRACE_ID);
  }

  @Test
  void otherwiseThereIsNoLink() {
    assertThat(url()).isEmpty(); // cloudtrace without a project
    assertThat(url("SERVO_TRACE_EXPORTER", "otlp")).isEmpty();
    assertThat(url("SERVO_TRACE_EXPORTER", "stdout")).isEmpty();
    assertThat(url("SERVO_TRACE_EXPORTER", "none")).isEmpty();
  }

  @Test
  void anInvalidTraceIdIsRejected() {
    TraceLinks links = TraceLinks.create(read("SERVO_TRACE_EXPORTER", "jaeger"));

    assertThatThrownBy(() -> links.url("4BF92F3577B34DA6A3CE929D0E0E4736"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 lowercase hex");
    assertThatThrownBy(() -> links.url("0".repeat(32)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTemplateIsPartOfTheConfiguration() {
    assertThat(read().traceUiUrl()).isEmpty();
    assertThat(read("SERVO_TRACE_UI_URL", " http://localhost:16686/trace/{trace_id} ").traceUiUrl())
        .contains("http://localhost:16686/trace/{trace_id}");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "http://localhost:16686/trace/", "ftp://host/{trace_id}", "localhost:16686/{trace_id}",
      "/trace/{trace_id}", "http:///trace/{trace_id}", "http://host/a b/{trace_id}",
  })
  void anUnusableTemplateIsRejectedWithTheAcceptedForm(String value) {
    assertThatThrownBy(() -> read("SERVO_TRACE_UI_URL", value))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tracing cannot start: SERVO_TRACE_UI_URL has invalid value '" + value + "': expected an"
            + " http:// or https:// URL with a host that contains {trace_id},"
            + " e.g. http://localhost:16686/trace/{trace_id}")
        .extracting(e -> ((SettingsException) e).variables().get(0))
        .isEqualTo("SERVO_TRACE_UI_URL");
  }
}
