package io.servo.cli.reliability;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;

/** Log events of one logger (and its children) while open. */
final class CapturedLogs implements AutoCloseable {
  private final Logger logger;
  private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
  private final AppenderBase<ILoggingEvent> appender;

  private CapturedLogs(String loggerName) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    this.appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        lines.add(event.getLevel() + " " + event.getLoggerName() + " [" + event.getThreadName() + "] "
            + event.getFormattedMessage());
      }
    };
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
  }

  static CapturedLogs of(String loggerName) {
    return new CapturedLogs(loggerName);
  }

  static CapturedLogs of(Class<?> type) {
    return new CapturedLogs(type.getName());
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  List<String> containing(String text) {
    return lines.stream().filter(l -> l.contains(text)).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
