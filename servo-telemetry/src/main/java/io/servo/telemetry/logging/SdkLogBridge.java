package io.servo.telemetry.logging;

import ch.qos.logback.classic.LoggerContext;
import java.util.List;
import java.util.logging.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sends what the OpenTelemetry SDK logs through {@code java.util.logging} to SLF4J, so that it is
 * written like every other Servo line: Servo's text or JSON format, trace ids, redaction by {@link
 * ServoLogEncoder}. Without it the SDK writes to stderr in JUL's own two-line format.
 *
 * <p>Only the {@code io.opentelemetry} JUL logger is bridged (the JVM's other JUL output is left as
 * it is), and it stops handing records to JUL's root handlers, so a record is written once.
 *
 * <p>JUL levels are set explicitly from the Logback levels: {@code io.opentelemetry} gets the JUL
 * level matching the effective SLF4J level of {@code io.opentelemetry} (INFO by default), so a record
 * below it is refused by JUL's own cheap level check and never built or bridged.
 *
 * <p>Two SDK loggers are turned off, because during a trace backend outage they write one line per
 * export (every few seconds per service) and {@code ServoTelemetry} already reports the same facts,
 * with numbers and the last error, at most once a minute per service:
 *
 * <ul>
 *   <li>{@value #BATCH_SPAN_PROCESSOR}: "dropped N span(s) since the last export because the queue
 *       is full" after each export that saw drops;
 *   <li>{@value #HTTP_EXPORTER}: "Failed to export spans…" for each export that failed.
 * </ul>
 *
 * <p>To see them anyway (troubleshooting), set the Logback level of either logger, or of a logger
 * above it such as {@code io.opentelemetry}, to DEBUG (a DEBUG root alone does not count); {@link
 * #install()} then leaves them on.
 */
public final class SdkLogBridge {

  /** The JUL logger, and the SLF4J logger, above everything the OpenTelemetry SDK logs. */
  public static final String SDK = "io.opentelemetry";
  /** Logs each export that saw queue overflow. */
  public static final String BATCH_SPAN_PROCESSOR = "io.opentelemetry.sdk.trace.export.BatchSpanProcessor";
  /** Logs each failed OTLP/HTTP export. */
  public static final String HTTP_EXPORTER = "io.opentelemetry.exporter.otlp.internal.HttpExporter";

  // java.util.logging holds its loggers weakly: a logger nobody references can be collected and
  // recreated without the level and handler set here. These references keep them.
  private static final java.util.logging.Logger SDK_LOGGER = java.util.logging.Logger.getLogger(SDK);
  private static final List<java.util.logging.Logger> QUIETED = List.of(
      java.util.logging.Logger.getLogger(BATCH_SPAN_PROCESSOR),
      java.util.logging.Logger.getLogger(HTTP_EXPORTER));

  private static SLF4JBridgeHandler handler;

  private SdkLogBridge() {}

  /**
   * Bridges the SDK's JUL output to SLF4J (once per process; later calls keep the one handler) and
   * sets the JUL levels from the current Logback levels. {@code ServoTelemetry} calls it when it
   * starts and {@link ServoLogging#configure} after it configured Logback; call it again after
   * changing the Logback levels of {@code io.opentelemetry} at run time.
   */
  public static synchronized void install() {
    if (handler == null) {
      handler = new SLF4JBridgeHandler();
      SDK_LOGGER.addHandler(handler);
      SDK_LOGGER.setUseParentHandlers(false);
    }
    SDK_LOGGER.setLevel(julLevel(LoggerFactory.getLogger(SDK)));
    for (java.util.logging.Logger quieted : QUIETED) {
      quieted.setLevel(troubleshooting(quieted.getName())
          ? julLevel(LoggerFactory.getLogger(quieted.getName())) : Level.OFF);
    }
  }

  /**
   * Whether Logback's level for {@code name}, or for the nearest logger above it that has one (the
   * root excluded: unconfigured Logback's root is DEBUG), is DEBUG or TRACE.
   */
  private static boolean troubleshooting(String name) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return false;
    }
    for (String n = name; n != null; n = n.contains(".") ? n.substring(0, n.lastIndexOf('.')) : null) {
      ch.qos.logback.classic.Logger logger = context.exists(n);
      if (logger != null && logger.getLevel() != null) {
        return logger.getLevel().toInt() <= ch.qos.logback.classic.Level.DEBUG_INT;
      }
    }
    return false;
  }

  /** Whether {@link #install()} has run in this process. */
  public static synchronized boolean installed() {
    return handler != null;
  }

  /**
   * The lowest JUL level {@link SLF4JBridgeHandler} turns into an SLF4J level {@code logger} has
   * enabled (it maps FINEST to TRACE, FINER and FINE to DEBUG, CONFIG and INFO to INFO).
   */
  static Level julLevel(Logger logger) {
    if (logger.isTraceEnabled()) {
      return Level.ALL;
    }
    if (logger.isDebugEnabled()) {
      return Level.FINER;
    }
    if (logger.isInfoEnabled()) {
      return Level.CONFIG;
    }
    if (logger.isWarnEnabled()) {
      return Level.WARNING;
    }
    if (logger.isErrorEnabled()) {
      return Level.SEVERE;
    }
    return Level.OFF;
  }
}
