package io.servo.worker.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/** Every log line (message and exception text) written while it is attached to the root logger. */
public final class CapturedLogs implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  private CapturedLogs() {
    appender.start();
    root.addAppender(appender);
  }

  public static CapturedLogs attach() {
    return new CapturedLogs();
  }

  /** The messages logged at {@code level} (WARN, INFO, …), one a line. */
  public String textAt(String level) {
    StringBuilder s = new StringBuilder();
    for (ILoggingEvent event : appender.list) {
      if (event.getLevel().toString().equals(level)) {
        s.append(event.getFormattedMessage()).append('\n');
      }
    }
    return s.toString();
  }

  public String text() {
    StringBuilder s = new StringBuilder();
    for (ILoggingEvent event : appender.list) {
      s.append(event.getFormattedMessage()).append('\n');
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        s.append(t.getClassName()).append(": ").append(t.getMessage()).append('\n');
      }
    }
    return s.toString();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
  }
}
