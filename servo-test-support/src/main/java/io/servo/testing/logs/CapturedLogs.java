package io.servo.testing.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * The Logback events of one logger and its children (by default the root logger: the whole
 * process) while open. Thread-safe: services log from their own threads.
 */
public final class CapturedLogs implements AutoCloseable {
  private final Logger logger;
  private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();
  private final AppenderBase<ILoggingEvent> appender;
  private final Level levelBefore;

  private CapturedLogs(String loggerName, Level level, Consumer<ILoggingEvent> onEvent) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    this.levelBefore = logger.getLevel();
    if (level != null) {
      logger.setLevel(level);
    }
    this.appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        // Fixes the message, MDC and thread name now; the event is read later, on another thread.
        event.prepareForDeferredProcessing();
        events.add(event);
        onEvent.accept(event);
      }
    };
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
  }

  /** Everything the process logs. */
  public static CapturedLogs attach() {
    return new CapturedLogs(org.slf4j.Logger.ROOT_LOGGER_NAME, null, event -> { });
  }

  /**
   * Everything the process logs, also handed to {@code onEvent} on the logging thread (for what
   * depends on that thread, such as the span current there).
   */
  public static CapturedLogs attach(Consumer<ILoggingEvent> onEvent) {
    return new CapturedLogs(org.slf4j.Logger.ROOT_LOGGER_NAME, null, Objects.requireNonNull(onEvent, "onEvent"));
  }

  /** What {@code loggerName} and its children log. */
  public static CapturedLogs of(String loggerName) {
    return new CapturedLogs(Objects.requireNonNull(loggerName, "loggerName"), null, event -> { });
  }

  /**
   * What {@code type}'s logger and its children log at {@code level} and above, setting the logger
   * to that level while open (to see DEBUG events a test waits for).
   */
  public static CapturedLogs of(Class<?> type, Level level) {
    return new CapturedLogs(type.getName(), Objects.requireNonNull(level, "level"), event -> { });
  }

  /** What {@code type}'s logger and its children log. */
  public static CapturedLogs of(Class<?> type) {
    return of(type.getName());
  }

  public List<ILoggingEvent> events() {
    return List.copyOf(events);
  }

  /** One line per event: {@code LEVEL logger [thread] message}. */
  public List<String> lines() {
    return events.stream().map(CapturedLogs::line).toList();
  }

  /** Whether a line contains every one of {@code texts}. */
  public boolean hasLineWith(String... texts) {
    return events.stream().map(CapturedLogs::line).anyMatch(l -> Arrays.stream(texts).allMatch(l::contains));
  }

  /** The {@link #lines()} that contain {@code text}. */
  public List<String> containing(String text) {
    return events.stream().map(CapturedLogs::line).filter(l -> l.contains(text)).toList();
  }

  /** The messages logged at {@code level} (WARN, INFO, …), one a line. */
  public String textAt(String level) {
    Level wanted = Level.toLevel(level, null);
    StringBuilder s = new StringBuilder();
    for (ILoggingEvent event : events) {
      if (event.getLevel().equals(wanted)) {
        s.append(event.getFormattedMessage()).append('\n');
      }
    }
    return s.toString();
  }

  /** Every message with the class and message of its exception and of each cause. */
  public String text() {
    StringBuilder s = new StringBuilder();
    for (ILoggingEvent event : events) {
      s.append(event.getFormattedMessage()).append('\n');
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        s.append(t.getClassName()).append(": ").append(t.getMessage()).append('\n');
      }
    }
    return s.toString();
  }

  /** Forgets what was captured so far. */
  public void clear() {
    events.clear();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    logger.setLevel(levelBefore);
  }

  private static String line(ILoggingEvent event) {
    return event.getLevel() + " " + event.getLoggerName() + " [" + event.getThreadName() + "] "
        + event.getFormattedMessage();
  }
}
