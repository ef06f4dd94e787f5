package io.servo.telemetry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.settings.SettingsException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A start-up error is printed as one line (`servo: …` on stderr, a log line on Cloud Run): the value
 * it quotes can neither break that line nor show a password, also when the operator forgot the
 * URL's scheme.
 */
class HostileValuesTest {

  @Test
  void aQuotedValueCannotBreakTheLine() {
    assertThatThrownBy(() -> TracingConfig.from(Map.of("SERVO_TRACE_EXPORTER",
            "otlp\n2026-11-25 10:00:00.000 ERROR [main] io.servo.Forged - forged\u001b[2J")))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tracing cannot start: SERVO_TRACE_EXPORTER has invalid value 'otlp\\n2026-11-25 10:00:00.000 ERROR [main] io.servo.Forged - forged"
            + "\\u001b[2J': expected one of cloudtrace, jaeger, otlp, stdout, none");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "user:hunter2@collector:4318?x=1 | user:[REDACTED]@collector:4318?x=1",
      "http://user:hunter2@collector:4318?x=1 | http://user:[REDACTED]@collector:4318?x=1",
      "jdbc:sqlite:servo:hunter2@db/servo | jdbc:[REDACTED]@db/servo",
      "collector:4318/?password=hunter2&q | collector:4318/?password=[REDACTED]&q",
  })
  void aRejectedUrlNeverShowsItsPassword(String value, String shown) {
    assertThatThrownBy(() -> TracingConfig.from(Map.of("SERVO_TRACE_ENDPOINT", value)))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("tracing cannot start: SERVO_TRACE_ENDPOINT has invalid value '" + shown + "': expected")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void anAcceptedUrlWithAPasswordIsMaskedWhenShown() {
    TracingConfig config = TracingConfig.from(Map.of("SERVO_TRACE_EXPORTER", "otlp",
        "SERVO_TRACE_ENDPOINT", "https://u:hunter2@collector:4318",
        "SERVO_TRACE_UI_URL", "https://u:hunter2@jaeger/trace/{trace_id}"));
    assertThat(config.toString()).doesNotContain("hunter2").contains("tracesEndpoint=https://u:[REDACTED]@collector:4318");
  }
}
