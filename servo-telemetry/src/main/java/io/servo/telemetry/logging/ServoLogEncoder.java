package io.servo.telemetry.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import io.servo.telemetry.config.LogFormat;
import io.servo.telemetry.redaction.ControlCharacters;
import io.servo.telemetry.redaction.Redactor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/**
 * Logback encoder for Servo's two log formats, with trace correlation and redaction.
 *
 * <p>{@code text}: {@code time level [thread] logger trace_id=… span_id=… trace_flags=… - message}.
 * {@code json}: one object per line with Cloud Logging's structured fields ({@code severity},
 * {@code message}, {@code time}, {@code logger}, {@code logging.googleapis.com/trace}, {@code
 * logging.googleapis.com/spanId}, {@code logging.googleapis.com/trace_sampled}, {@code
 * stack_trace}). Ids are present for unsampled spans too. Messages, MDC values and stack traces
 * pass through {@link Redactor}.
 *
 * <p>A message may quote request data, so neither format lets it start a line: JSON escapes it, and
 * the text format writes the message, the thread name and each exception message with {@link
 * ControlCharacters} (the stack trace keeps its own line breaks, and no line of it can look like a log line).
 *
 * <p>Ids come from the event's MDC ({@code trace_id}, {@code span_id}, {@code trace_flags}) when
 * present, else from the span current on the logging thread; put {@code opentelemetry-logback-mdc}'s
 * appender in front of an asynchronous appender to keep them.
 *
 * <p>Properties (XML: {@code <format>}, {@code <projectId>}): by default the format comes from
 * {@code SERVO_LOG_FORMAT} (json when {@code K_SERVICE} is set) and the project from {@code
 * GCP_PROJECT_ID} or {@code GOOGLE_CLOUD_PROJECT}.
 */
public final class ServoLogEncoder extends EncoderBase<ILoggingEvent> {

  private static final DateTimeFormatter TEXT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
  // Room for everything but the message: time, level, thread, logger and the trace fields.
  private static final int TEXT_LINE_OVERHEAD = 224;
  private static final int JSON_LINE_OVERHEAD = 448;

  private LogFormat format;
  // Set once more after start when the project is detected (ServoLogging.useProject).
  private volatile String projectId;
  private Redactor redactor = Redactor.defaults();

  /** Creates an encoder configured from the environment (or from XML properties). */
  public ServoLogEncoder() {}

  /** Sets {@code text} or {@code json}. */
  public void setFormat(String value) {
    for (LogFormat f : LogFormat.values()) {
      if (f.id().equalsIgnoreCase(value.trim())) {
        this.format = f;
        return;
      }
    }
    addError("format \"" + value + "\" is not one of text, json");
  }

  /** The format in use. */
  public LogFormat getFormat() {
    return format;
  }

  /** The Google Cloud project named in {@code logging.googleapis.com/trace}. */
  public void setProjectId(String value) {
    this.projectId = value == null || value.isBlank() ? null : value.trim();
  }

  /** The project named in {@code logging.googleapis.com/trace}, or null. */
  public String getProjectId() {
    return projectId;
  }

  void setRedactor(Redactor value) {
    this.redactor = value;
  }

  @Override
  public void start() {
    if (format == null) {
      String env = System.getenv("SERVO_LOG_FORMAT");
      if (env != null && !env.isBlank()) {
        setFormat(env);
      }
      if (format == null) {
        format = System.getenv("K_SERVICE") != null ? LogFormat.JSON : LogFormat.TEXT;
      }
    }
    if (projectId == null) {
      setProjectId(firstNonBlank(System.getenv("GCP_PROJECT_ID"),
          System.getenv("GOOGLE_CLOUD_PROJECT")));
    }
    super.start();
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return utf8(format == LogFormat.JSON ? jsonLine(event) : textLine(event));
  }

  /**
   * The line's UTF-8 bytes, copied straight from the builder when it is ASCII (nearly every line):
   * {@code toString().getBytes(UTF_8)} copies the line twice. The trace fields make a line about 60
   * bytes longer, and the String copy alone was 1.7 KB of the worker's lines per execution with
   * tracing disabled and 2.5 KB at 1% sampling (JFR of {@code ./servo bench --warmup-curve a|b
   * --jfr}, 2026-12-07).
   */
  static byte[] utf8(CharSequence line) {
    int length = line.length();
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      char c = line.charAt(i);
      if (c >= 0x80) {
        return line.toString().getBytes(StandardCharsets.UTF_8);
      }
      bytes[i] = (byte) c;
    }
    return bytes;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  String text(ILoggingEvent event) {
    return textLine(event).toString();
  }

  private StringBuilder textLine(ILoggingEvent event) {
    String message = ControlCharacters.escape(redactor.redact(event.getFormattedMessage()));
    // Sized for the whole line, ids included, so it is not copied as it grows.
    StringBuilder out = new StringBuilder(message.length() + TEXT_LINE_OVERHEAD);
    TEXT_TIME.formatTo(instant(event), out);
    String level = event.getLevel().toString();
    out.append(' ').append(level).append("     ", 0, Math.max(0, 5 - level.length()))
        .append(" [").append(ControlCharacters.escape(event.getThreadName())).append("] ")
        .append(event.getLoggerName());
    TraceIds ids = TraceIds.of(event);
    if (ids != null) {
      out.append(" trace_id=").append(ids.traceId())
          .append(" span_id=").append(ids.spanId())
          .append(" trace_flags=").append(ids.sampled() ? "01" : "00");
    } else {
      out.append(" trace_id=- span_id=-");
    }
    out.append(" - ").append(message).append(System.lineSeparator());
    IThrowableProxy throwable = event.getThrowableProxy();
    if (throwable != null) {
      out.append(redactor.redact(ThrowableProxyUtil.asString(new OneLineMessages(throwable, redactor))))
          .append(System.lineSeparator());
    }
    return out;
  }

  String json(ILoggingEvent event) {
    return jsonLine(event).toString();
  }

  private StringBuilder jsonLine(ILoggingEvent event) {
    String message = redactor.redact(event.getFormattedMessage());
    StringBuilder out = new StringBuilder(message.length() + JSON_LINE_OVERHEAD);
    out.append('{');
    field(out, "severity", severity(event.getLevel()));
    out.append(',');
    field(out, "message", message);
    out.append(',');
    field(out, "time", DateTimeFormatter.ISO_INSTANT.format(instant(event)));
    out.append(',');
    field(out, "logger", event.getLoggerName());
    out.append(',');
    field(out, "thread", event.getThreadName());
    TraceIds ids = TraceIds.of(event);
    if (ids == null) {
      // Outside any request (start-up, shutdown, timers): the fields are there, empty, so every
      // line has the same shape; Cloud Logging's own trace fields would be invalid empty.
      out.append(",\"trace_id\":\"\",\"span_id\":\"\"");
    } else {
      out.append(',');
      field(out, "trace_id", ids.traceId());
      out.append(',');
      field(out, "span_id", ids.spanId());
      if (projectId != null) {
        out.append(',');
        field(out, "logging.googleapis.com/trace",
            "projects/" + projectId + "/traces/" + ids.traceId());
      }
      out.append(',');
      field(out, "logging.googleapis.com/spanId", ids.spanId());
      out.append(",\"logging.googleapis.com/trace_sampled\":").append(ids.sampled());
    }
    IThrowableProxy throwable = event.getThrowableProxy();
    if (throwable != null) {
      out.append(',');
      // Error Reporting picks up a stack trace from this field.
      field(out, "stack_trace", redactor.redact(ThrowableProxyUtil.asString(throwable)));
    }
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) {
      StringBuilder labels = new StringBuilder();
      for (Map.Entry<String, String> entry : mdc.entrySet()) {
        String key = entry.getKey();
        if (key.equals(TraceIds.TRACE_ID) || key.equals(TraceIds.SPAN_ID)
            || key.equals(TraceIds.TRACE_FLAGS)) {
          continue;
        }
        labels.append(labels.length() == 0 ? "" : ",");
        field(labels, key, redactor.redact(key, entry.getValue()));
      }
      if (labels.length() > 0) {
        out.append(",\"logging.googleapis.com/labels\":{").append(labels).append('}');
      }
    }
    out.append('}').append('\n');
    return out;
  }

  /**
   * A throwable whose messages (and those of its causes and suppressed throwables) are redacted
   * and on one line, so Logback's rendering of it has only the line breaks it adds itself.
   */
  private static final class OneLineMessages implements IThrowableProxy {
    private final IThrowableProxy delegate;
    private final Redactor redactor;

    OneLineMessages(IThrowableProxy delegate, Redactor redactor) {
      this.delegate = delegate;
      this.redactor = redactor;
    }

    private static IThrowableProxy wrap(IThrowableProxy proxy, Redactor redactor) {
      return proxy == null ? null : new OneLineMessages(proxy, redactor);
    }

    @Override
    public String getMessage() {
      return ControlCharacters.escape(redactor.redact(delegate.getMessage()));
    }

    @Override
    public String getOverridingMessage() {
      return ControlCharacters.escape(redactor.redact(delegate.getOverridingMessage()));
    }

    @Override
    public String getClassName() {
      return ControlCharacters.escape(delegate.getClassName());
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return delegate.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return delegate.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      return wrap(delegate.getCause(), redactor);
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] suppressed = delegate.getSuppressed();
      if (suppressed == null) {
        return null;
      }
      IThrowableProxy[] out = new IThrowableProxy[suppressed.length];
      for (int i = 0; i < suppressed.length; i++) {
        out[i] = wrap(suppressed[i], redactor);
      }
      return out;
    }

    @Override
    public boolean isCyclic() {
      return delegate.isCyclic();
    }
  }

  private static Instant instant(ILoggingEvent event) {
    Instant instant = event.getInstant();
    return instant != null ? instant : Instant.ofEpochMilli(event.getTimeStamp());
  }

  private static String severity(Level level) {
    switch (level.toInt()) {
      case Level.ERROR_INT: return "ERROR";
      case Level.WARN_INT: return "WARNING";
      case Level.INFO_INT: return "INFO";
      default: return "DEBUG";
    }
  }

  private static void field(StringBuilder out, String name, String value) {
    string(out, name);
    out.append(':');
    string(out, value == null ? "" : value);
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
          // DEL and the C1 controls are valid JSON, but 0x9b starts an escape sequence on some terminals.
          if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  private static String firstNonBlank(String a, String b) {
    return a != null && !a.isBlank() ? a : b;
  }
}
