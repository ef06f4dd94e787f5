package io.servo.telemetry.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.servo.telemetry.config.TracingConfig;
import io.servo.telemetry.redaction.Redactor;
import java.util.Objects;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback for a Servo process from code: one console appender writing {@link
 * ServoLogEncoder}'s text or JSON format with trace ids and redaction.
 *
 * <p>Applications that prefer XML include the {@code servo-logback.xml} resource instead:
 *
 * <pre>{@code
 * <configuration>
 *   <include resource="servo-logback.xml"/>
 * </configuration>
 * }</pre>
 */
public final class ServoLogging {

  private ServoLogging() {}

  /**
   * Names {@code projectId} in Cloud Logging's trace field of every Servo JSON encoder attached in
   * Logback that has no project yet ({@code GCP_PROJECT_ID} and {@code GOOGLE_CLOUD_PROJECT} set one
   * at start): on Cloud Run the project is usually known only once the resource was detected.
   */
  public static void useProject(String projectId) {
    Objects.requireNonNull(projectId, "projectId");
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      for (Logger logger : context.getLoggerList()) {
        logger.iteratorForAppenders().forEachRemaining(appender -> {
          if (appender instanceof ch.qos.logback.core.OutputStreamAppender<ILoggingEvent> out
              && out.getEncoder() instanceof ServoLogEncoder encoder && encoder.getProjectId() == null) {
            encoder.setProjectId(projectId);
          }
        });
      }
    }
  }

  /**
   * Replaces the Logback configuration with Servo's console output at INFO, in {@code
   * config.logFormat()}, naming {@code config.gcpProjectId()} in Cloud Logging's trace field and
   * redacting with {@code SERVO_TRACE_REDACT_KEYS} too, and sends the OpenTelemetry SDK's
   * java.util.logging output there as well ({@link SdkLogBridge}). Does nothing when SLF4J is not
   * bound to Logback.
   *
   * @return whether Logback was configured
   */
  public static boolean configure(TracingConfig config) {
    Objects.requireNonNull(config, "config");
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext)) {
      return false;
    }
    LoggerContext context = (LoggerContext) factory;
    context.reset();

    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(context);
    encoder.setFormat(config.logFormat().id());
    config.gcpProjectId().ifPresent(encoder::setProjectId);
    encoder.setRedactor(Redactor.create(config.extraRedactKeys()));
    encoder.start();

    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("SERVO_CONSOLE");
    console.setEncoder(encoder);
    console.start();

    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console);
    SdkLogBridge.install();
    return true;
  }
}
