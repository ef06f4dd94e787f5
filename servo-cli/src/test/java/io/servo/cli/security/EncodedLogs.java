package io.servo.cli.security;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import io.servo.telemetry.logging.ServoLogEncoder;
import io.servo.testing.logs.CapturedLogs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * Every log event of the process while open ({@link CapturedLogs}), written by Servo's real encoder
 * in both formats (text and Cloud Logging JSON), plus what the JDK's HTTP server logs through
 * java.util.logging (where an exception escaping a handler ends up).
 */
final class EncodedLogs implements AutoCloseable {
  /** How a real text line starts. */
  static final Pattern TEXT_LINE_START =
      Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) \\[");

  /** One event: its level and logger, and its encoding in each format. */
  record Entry(Level level, String logger, String text, String json, boolean hasThrowable) {}

  private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<LogRecord> jdkHttpServer = new ConcurrentLinkedQueue<>();
  private final CapturedLogs captured;
  private final java.util.logging.Logger julLogger = java.util.logging.Logger.getLogger("com.sun.net.httpserver");
  private final java.util.logging.Level julLevel;
  private final Handler julHandler;

  private EncodedLogs() {
    LoggerContext context = ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).getLoggerContext();
    ServoLogEncoder text = encoder(context, "text");
    ServoLogEncoder json = encoder(context, "json");
    // Encoded on the logging thread: the encoder takes the ids of the span current there.
    captured = CapturedLogs.attach(event -> entries.add(new Entry(event.getLevel(), event.getLoggerName(),
        new String(text.encode(event), StandardCharsets.UTF_8),
        new String(json.encode(event), StandardCharsets.UTF_8),
        event.getThrowableProxy() != null)));
    julHandler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        jdkHttpServer.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    julLevel = julLogger.getLevel();
    julLogger.setLevel(java.util.logging.Level.ALL);
    julHandler.setLevel(java.util.logging.Level.ALL);
    julLogger.addHandler(julHandler);
  }

  static EncodedLogs start() {
    return new EncodedLogs();
  }

  private static ServoLogEncoder encoder(LoggerContext context, String format) {
    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.setProjectId("security-test");
    encoder.start();
    return encoder;
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** Everything written, both formats. */
  String all() {
    StringBuilder out = new StringBuilder();
    for (Entry e : entries) {
      out.append(e.text()).append(e.json());
    }
    return out.toString();
  }

  /**
   * Exceptions thrown out of a Servo handler into the JDK's HTTP server. Only those that passed
   * through the server's handler chain count: the server also logs (at TRACE) failures of its own
   * request parsing, which run on Servo's executor thread but before any handler (an opaque
   * request-target such as {@code GET a:b} makes it throw on the URI's null path and drop the
   * connection, on JDK 17 and 25 alike).
   */
  List<String> escapedFromHandlers() {
    List<String> found = new ArrayList<>();
    for (LogRecord record : jdkHttpServer) {
      Throwable thrown = record.getThrown();
      for (Throwable t = thrown; t != null; t = t.getCause()) {
        StackTraceElement servo = handlerFrame(t.getStackTrace());
        if (servo != null) {
          found.add(record.getMessage() + ": " + thrown + " at " + servo);
          break;
        }
      }
    }
    return found;
  }

  /** The innermost Servo frame of {@code frames} when they ran inside the server's handler chain. */
  private static StackTraceElement handlerFrame(StackTraceElement[] frames) {
    StackTraceElement servo = null;
    for (StackTraceElement frame : frames) {
      if (servo == null && frame.getClassName().startsWith("io.servo.")) {
        servo = frame;
      }
      if (servo != null && frame.getClassName().equals("com.sun.net.httpserver.Filter$Chain")) {
        return servo;
      }
    }
    return null;
  }

  /**
   * The lines that break the formats' promises: a text event whose message spans several lines or
   * whose stack trace holds a line that looks like a log line, raw control characters, a JSON event
   * that is not one parseable object on one line.
   */
  List<String> forgedOrBrokenLines() {
    List<String> problems = new ArrayList<>();
    for (Entry e : entries) {
      List<String> lines = e.text().lines().toList();
      if (lines.isEmpty() || !TEXT_LINE_START.matcher(lines.get(0)).find()) {
        problems.add("text event does not start with a log line: " + e.text());
        continue;
      }
      if (!e.hasThrowable() && lines.size() != 1) {
        problems.add("text event spans " + lines.size() + " lines: " + e.text());
      }
      for (int i = 1; i < lines.size(); i++) {
        if (TEXT_LINE_START.matcher(lines.get(i)).find()) {
          problems.add("text stack trace holds a forged log line: " + lines.get(i));
        }
      }
      String withoutBreaks = e.text().replace(System.lineSeparator(), "").replace("\n", "").replace("\t", "");
      if (Hostile.hasRawControl(withoutBreaks)) {
        problems.add("text event holds a raw control character: " + Hostile.show(e.text()));
      }
      if (!e.json().endsWith("\n") || e.json().indexOf('\n') != e.json().length() - 1) {
        problems.add("json event is not one line: " + e.json());
      } else if (Hostile.hasRawControl(e.json().substring(0, e.json().length() - 1))) {
        problems.add("json event holds a raw control character: " + Hostile.show(e.json()));
      } else {
        try {
          JsonNode node = Json.mapper().readTree(e.json());
          if (node == null || !node.isObject() || !node.has("message")) {
            problems.add("json event is not an object with a message: " + e.json());
          }
        } catch (IOException ex) {
          problems.add("json event does not parse (" + ex.getMessage() + "): " + e.json());
        }
      }
    }
    return problems;
  }

  /** Events at ERROR level (Servo logs an unexpected exception there). */
  List<Entry> errors() {
    return entries.stream().filter(e -> e.level().isGreaterOrEqual(Level.ERROR)).toList();
  }

  void clear() {
    captured.clear();
    entries.clear();
    jdkHttpServer.clear();
  }

  @Override
  public void close() {
    captured.close();
    julLogger.removeHandler(julHandler);
    julLogger.setLevel(julLevel);
  }
}
