package io.servo.telemetry.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What the OpenTelemetry SDK logs through java.util.logging is written by Logback in Servo's format,
 * redacted, once, and not on stderr; the per-export warnings are off; levels Logback disables cost
 * nothing in JUL.
 */
class SdkLogBridgeTest {

  private static final String SDK_CLASS = "io.opentelemetry.sdk.resources.Resource";

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final List<LogRecord> julRoot = new CopyOnWriteArrayList<>();
  private final Handler julRootHandler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      julRoot.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Logger sdkLogback;
  private Level rootLevel;
  private OutputStreamAppender<ILoggingEvent> appender;

  @BeforeEach
  void captureLogback() {
    // The bridge logs through SLF4J, so this is the process's own Logback context.
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    sdkLogback = context.getLogger(SdkLogBridge.SDK);
    rootLevel = context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel();
    java.util.logging.Logger.getLogger("").addHandler(julRootHandler);
  }

  private void encodeAs(String format) {
    LoggerContext context = sdkLogback.getLoggerContext();
    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.start();
    appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(output);
    appender.start();
    sdkLogback.addAppender(appender);
    sdkLogback.setAdditive(false);
  }

  @AfterEach
  void restore() {
    if (appender != null) {
      sdkLogback.detachAppender(appender);
      appender.stop();
    }
    sdkLogback.setAdditive(true);
    sdkLogback.getLoggerContext().getLogger(Logger.ROOT_LOGGER_NAME).setLevel(rootLevel);
    sdkLogback.setLevel(null);
    sdkLogback.getLoggerContext().getLogger(SdkLogBridge.BATCH_SPAN_PROCESSOR).setLevel(null);
    SdkLogBridge.install();
    java.util.logging.Logger.getLogger("").removeHandler(julRootHandler);
  }

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aRecordTheSdkLogsIsWrittenInServosTextFormatRedactedAndNotOnStderr() {
    encodeAs("text");
    SdkLogBridge.install();

    java.util.logging.Logger.getLogger(SDK_CLASS).log(java.util.logging.Level.WARNING,
        "could not read postgres://servo:hunter2@db/servo",
        new IllegalStateException("token for postgres://servo:hunter2@db rejected"));

    assertThat(out())
        .contains(" WARN  [" + Thread.currentThread().getName() + "] " + SDK_CLASS
            + " trace_id=- span_id=- - could not read postgres://servo:[REDACTED]@db/servo")
        .contains("java.lang.IllegalStateException: token for postgres://servo:[REDACTED]@db rejected")
        .doesNotContain("hunter2");
    assertThat(out().lines().filter(l -> l.contains("could not read"))).hasSize(1);
    assertThat(julRoot).as("JUL's root handlers (stderr) get nothing from the SDK")
        .noneMatch(r -> r.getLoggerName() != null && r.getLoggerName().startsWith(SdkLogBridge.SDK));
  }

  @Test
  void onCloudRunTheRecordIsAJsonLine() {
    encodeAs("json");
    SdkLogBridge.install();

    java.util.logging.Logger.getLogger(SDK_CLASS).severe("endpoint https://u:s3cret@collector refused");

    assertThat(out()).startsWith("{\"severity\":\"ERROR\",\"message\":\"endpoint https://u:[REDACTED]@collector refused\"")
        .contains("\"logger\":\"" + SDK_CLASS + "\"")
        .doesNotContain("s3cret")
        .endsWith("}\n");
  }

  @Test
  void installingAgainKeepsOneBridge() {
    encodeAs("text");
    SdkLogBridge.install();
    SdkLogBridge.install();
    SdkLogBridge.install();

    java.util.logging.Logger.getLogger(SDK_CLASS).warning("once");

    assertThat(SdkLogBridge.installed()).isTrue();
    assertThat(out().lines().filter(l -> l.endsWith(" - once"))).hasSize(1);
  }

  @Test
  void thePerExportWarningsAreOffAndOtherSdkWarningsStayOn() {
    encodeAs("text");
    sdkLogback.getLoggerContext().getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.DEBUG);
    SdkLogBridge.install();

    java.util.logging.Logger.getLogger(SdkLogBridge.BATCH_SPAN_PROCESSOR).warning(
        "BatchSpanProcessor dropped 12 span(s) since the last export because the queue is full");
    java.util.logging.Logger.getLogger(SdkLogBridge.HTTP_EXPORTER).severe(
        "Failed to export spans. The request could not be executed.");
    java.util.logging.Logger.getLogger("io.opentelemetry.sdk.trace.SdkTracerProvider").warning(
        "a misconfiguration");

    assertThat(out()).doesNotContain("BatchSpanProcessor dropped").doesNotContain("Failed to export")
        .contains("io.opentelemetry.sdk.trace.SdkTracerProvider trace_id=- span_id=- - a misconfiguration");
    assertThat(java.util.logging.Logger.getLogger(SdkLogBridge.BATCH_SPAN_PROCESSOR)
        .isLoggable(java.util.logging.Level.SEVERE)).isFalse();
    assertThat(java.util.logging.Logger.getLogger(SdkLogBridge.HTTP_EXPORTER)
        .isLoggable(java.util.logging.Level.SEVERE)).isFalse();
  }

  @Test
  void debugInLogbackTurnsThemBackOnForTroubleshooting() {
    encodeAs("text");
    sdkLogback.getLoggerContext().getLogger(SdkLogBridge.BATCH_SPAN_PROCESSOR).setLevel(Level.DEBUG);
    SdkLogBridge.install();

    java.util.logging.Logger.getLogger(SdkLogBridge.BATCH_SPAN_PROCESSOR).warning("dropped 3 span(s)");

    assertThat(out()).contains(SdkLogBridge.BATCH_SPAN_PROCESSOR + " trace_id=- span_id=- - dropped 3 span(s)");
  }

  @Test
  void levelsLogbackDisablesAreRefusedByJulItself() {
    java.util.logging.Logger sdkClass = java.util.logging.Logger.getLogger(SDK_CLASS);
    sdkLogback.setLevel(Level.INFO);
    SdkLogBridge.install();
    assertThat(sdkClass.isLoggable(java.util.logging.Level.INFO)).isTrue();
    assertThat(sdkClass.isLoggable(java.util.logging.Level.FINE))
        .as("a FINE record is not even built, let alone bridged").isFalse();

    sdkLogback.setLevel(Level.DEBUG);
    SdkLogBridge.install();
    assertThat(sdkClass.isLoggable(java.util.logging.Level.FINE)).isTrue();
    assertThat(sdkClass.isLoggable(java.util.logging.Level.FINEST)).isFalse();

    sdkLogback.setLevel(Level.ERROR);
    SdkLogBridge.install();
    assertThat(sdkClass.isLoggable(java.util.logging.Level.WARNING)).isFalse();
    assertThat(sdkClass.isLoggable(java.util.logging.Level.SEVERE)).isTrue();
  }
}
