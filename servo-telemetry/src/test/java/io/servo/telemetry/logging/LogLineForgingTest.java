package io.servo.telemetry.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Text from a request (a header, a payload, an exception quoting either) that reaches a log line
 * cannot start a line of its own: a reader or a log shipper splitting on line breaks must not see a
 * forged entry, and a terminal must not receive escape sequences.
 */
class LogLineForgingTest {
  /** The start of a real text-format line. */
  private static final Pattern LINE_START = Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} ");
  private static final String FORGED = "2026-11-25 10:00:00.000 ERROR [main] io.servo.Forged trace_id=- span_id=- - forged";

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  private Logger logger(String format) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(org.slf4j.MDC.getMDCAdapter());
    context.start();
    ServoLogEncoder encoder = new ServoLogEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
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

  private List<String> lines() {
    return output.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\u000b", "\f"})
  void aLineBreakInAMessageCannotStartALine(String lineBreak) {
    logger("text").warn("rejected a task: {}", "bad" + lineBreak + FORGED);

    List<String> lines = lines();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).endsWith(" - rejected a task: bad" + escaped(lineBreak) + FORGED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "json"})
  void controlCharactersAreEscaped(String format) {
    logger(format).info("header {}", "\u001b[2J\u001b]0;pwned\u0007\u0000\u007f\u009b");

    String out = String.join("", lines());
    assertThat(out).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]");
    assertThat(out).contains("header \\u001b[2J\\u001b]0;pwned\\u0007\\u0000\\u007f\\u009b");
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "json"})
  void anExceptionMessageCannotStartALine(String format) {
    Exception cause = new IllegalArgumentException("inner\n" + FORGED);
    cause.addSuppressed(new IllegalStateException("suppressed\r\n" + FORGED));
    logger(format).error("failed", new RuntimeException("outer\n" + FORGED, cause));

    List<String> lines = lines();
    if (format.equals("json")) {
      assertThat(lines).hasSize(1);
      return;
    }
    assertThat(lines.get(0)).matches(LINE_START + ".* - failed");
    assertThat(lines.subList(1, lines.size())).as("stack trace lines")
        .isNotEmpty()
        .allSatisfy(line -> assertThat(line).doesNotMatch(LINE_START + ".*"))
        .anySatisfy(line -> assertThat(line).isEqualTo("java.lang.RuntimeException: outer\\n" + FORGED))
        .anySatisfy(line -> assertThat(line).isEqualTo("Caused by: java.lang.IllegalArgumentException: inner\\n" + FORGED))
        .anySatisfy(line -> assertThat(line).endsWith("Suppressed: java.lang.IllegalStateException: suppressed\\r\\n" + FORGED));
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "json"})
  void redactionStillApplies(String format) {
    logger(format).error("token=hunter2\n" + FORGED, new IllegalStateException("password=hunter2\nnext"));

    assertThat(String.join("\n", lines())).doesNotContain("hunter2");
  }

  private static String escaped(String lineBreak) {
    StringBuilder out = new StringBuilder();
    for (char c : lineBreak.toCharArray()) {
      out.append(switch (c) {
        case '\n' -> "\\n";
        case '\r' -> "\\r";
        default -> String.format("\\u%04x", (int) c);
      });
    }
    return out.toString();
  }
}
