package io.servo.telemetry.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServoLogEncoderTest {

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  private Logger logger(String format, String projectId) {
    LoggerContext context = new LoggerContext();
    // A private context needs the MDC adapter the SLF4J provider installed on the global one.
    context.setMDCAdapter(org.slf4j.MDC.getMDCAdapter());
    context.start();
    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.setProjectId(projectId);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(output);
    appender.start();
    Logger logger = context.getLogger("io.servo.test");
    logger.addAppender(appender);
    return logger;
  }

  private static ServoTelemetry telemetry(String rate) {
    return ServoTelemetry.start(TracingConfig.from(Map.of("SERVO_TRACE_ENABLED", "true",
        "SERVO_TRACE_EXPORTER", "none", "SERVO_TRACE_SAMPLE_RATE", rate)), "servo-worker");
  }

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0", "0.0"})
  void textLinesCarryTheIdsOfTheActiveSpanSampledOrNot(String rate) {
    Logger logger = logger("text", null);
    try (ServoTelemetry telemetry = telemetry(rate)) {
      Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("request").startSpan();
      SpanContext ids = span.getSpanContext();
      try (Scope ignored = span.makeCurrent()) {
        logger.info("running asset {} with password=hunter2", "raw_orders");
      }
      span.end();

      String flags = rate.equals("1.0") ? "01" : "00";
      assertThat(ids.isValid()).isTrue();
      assertThat(out()).matches("(?s)\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[[^]]+\\]"
          + " io\\.servo\\.test trace_id=" + ids.getTraceId() + " span_id=" + ids.getSpanId()
          + " trace_flags=" + flags + " - running asset raw_orders with password=\\[REDACTED\\]\\R");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0", "0.0"})
  void jsonLinesCarryCloudLoggingTraceFields(String rate) {
    Logger logger = logger("json", "acme-prod");
    try (ServoTelemetry telemetry = telemetry(rate)) {
      Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("request").startSpan();
      SpanContext ids = span.getSpanContext();
      try (Scope ignored = span.makeCurrent()) {
        logger.warn("token \"Bearer abc123\"\nsecond line");
        logger.error("failed", new IllegalStateException("postgres://u:hunter2@db"));
      }
      span.end();

      String[] lines = out().split("\n");
      assertThat(lines).hasSize(2);
      assertThat(lines[0]).startsWith("{\"severity\":\"WARNING\","
              + "\"message\":\"token \\\"Bearer [REDACTED]\\\"\\nsecond line\",\"time\":\"")
          .contains("\"logger\":\"io.servo.test\"")
          .contains("\"logging.googleapis.com/trace\":\"projects/acme-prod/traces/"
              + ids.getTraceId() + "\"")
          .contains("\"logging.googleapis.com/spanId\":\"" + ids.getSpanId() + "\"")
          .contains("\"logging.googleapis.com/trace_sampled\":" + rate.equals("1.0"))
          .endsWith("}");
      assertThat(lines[1]).startsWith("{\"severity\":\"ERROR\",\"message\":\"failed\"")
          .contains("\"stack_trace\":\"java.lang.IllegalStateException: postgres://u:[REDACTED]@db")
          .doesNotContain("hunter2");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "json"})
  void linesBeyondAsciiAreUtf8(String format) {
    Logger logger = logger(format, null);
    logger.info("Zürich → 東京 {}", "😀");
    logger.info("plain ascii");

    String[] lines = out().split("\\R");
    assertThat(lines[0]).contains("Zürich → 東京 😀");
    assertThat(lines[1]).contains("plain ascii");
  }

  @Test
  void withoutASpanTheIdsArePresentAndEmpty() {
    logger("json", "acme").info("plain");
    logger("text", null).info("plain");
    assertThat(out()).doesNotContain("logging.googleapis.com/trace")
        .contains("\"trace_id\":\"\",\"span_id\":\"\"", "trace_id=- span_id=-");
  }

  @Test
  void theTraceFieldNamesTheProjectServoDetected() {
    Logger global = (Logger) org.slf4j.LoggerFactory.getLogger("io.servo.test.detected");
    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(global.getLoggerContext());
    encoder.setFormat("json");
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(global.getLoggerContext());
    appender.setEncoder(encoder);
    appender.setOutputStream(output);
    appender.start();
    global.addAppender(appender);
    // What the GCP resource detector finds on Cloud Run, where GCP_PROJECT_ID is usually not set.
    try (ServoTelemetry telemetry = ServoTelemetry.start(TracingConfig.from(Map.of("SERVO_TRACE_ENABLED", "true",
        "SERVO_TRACE_EXPORTER", "none", "OTEL_RESOURCE_ATTRIBUTES", "cloud.account.id=detected-project")), "servo-worker")) {
      Span span = telemetry.openTelemetry().getTracer("t").spanBuilder("request").startSpan();
      try (Scope ignored = span.makeCurrent()) {
        global.info("in a request");
      }
      span.end();

      assertThat(out()).contains("\"logging.googleapis.com/trace\":\"projects/detected-project/traces/"
          + span.getSpanContext().getTraceId() + "\"");
    } finally {
      global.detachAppender(appender);
    }
  }

  @Test
  void idsAlreadyInTheMdcAreUsed() {
    Logger logger = logger("text", null);
    org.slf4j.MDC.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
    org.slf4j.MDC.put("span_id", "00f067aa0ba902b7");
    org.slf4j.MDC.put("trace_flags", "01");
    try {
      logger.info("from mdc");
    } finally {
      org.slf4j.MDC.clear();
    }
    assertThat(out()).contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"
        + " trace_flags=01 - from mdc");
  }

  @Test
  void theIncludableXmlResourceConfiguresTheServoEncoder() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(new ByteArrayInputStream(
        "<configuration><include resource=\"servo-logback.xml\"/></configuration>"
            .getBytes(StandardCharsets.UTF_8)));

    Appender<ILoggingEvent> appender =
        context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("SERVO_CONSOLE");
    assertThat(appender).isInstanceOf(OutputStreamAppender.class);
    assertThat(((OutputStreamAppender<ILoggingEvent>) appender).getEncoder())
        .isInstanceOf(ServoLogEncoder.class);
    context.stop();
  }

  @Test
  void programmaticConfigurationUsesTheConfiguredFormat() {
    assertThat(ServoLogging.configure(TracingConfig.from(Map.of("SERVO_LOG_FORMAT", "json"))))
        .isTrue();
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    OutputStreamAppender<ILoggingEvent> appender = (OutputStreamAppender<ILoggingEvent>)
        context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("SERVO_CONSOLE");
    assertThat(((ServoLogEncoder) appender.getEncoder()).getFormat().id()).isEqualTo("json");
  }
}
