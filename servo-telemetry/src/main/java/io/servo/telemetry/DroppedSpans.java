package io.servo.telemetry;

import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.sdk.common.export.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the spans a service lost on their way to the trace backend, and reports them at most once a
 * minute. Two ways to lose a span:
 *
 * <ul>
 *   <li>queue overflow: the span did not fit among the spans waiting for or in an export (the
 *       backend is slow or unreachable); counted by {@link ExportLedger}, which enforces that bound;
 *   <li>failed export: the span was in a batch whose export failed for good (the backend answered
 *       an error such as 500 or 400, could not be reached once the exporter's retries were spent,
 *       did not answer in time, or the exporter threw). Counted by {@link DropReportingSpanExporter}.
 * </ul>
 */
final class DroppedSpans {

  private static final Logger log = LoggerFactory.getLogger(ServoTelemetry.class);
  static final Duration REPORT_INTERVAL = Duration.ofMinutes(1);
  private static final int MAX_ERROR_LENGTH = 300;

  private final Clock clock;
  private final String serviceName;
  private final String destination;
  private final AtomicLong queueFull = new AtomicLong();
  private final AtomicLong failedExport = new AtomicLong();
  private volatile String lastError;
  private long reportedQueueFull;
  private long reportedFailedExport;
  private Instant lastReport = Instant.MIN;

  /**
   * @param serviceName named in the report, as two services may share a process
   * @param destination where the spans go, for the report, e.g. {@code otlp http://host:4318/v1/traces}
   */
  DroppedSpans(Clock clock, String serviceName, String destination) {
    this.clock = clock;
    this.serviceName = serviceName;
    this.destination = destination;
  }

  /** Every span lost so far: {@link #queueFull()} plus {@link #failedExport()}. */
  long count() {
    return queueFull() + failedExport();
  }

  /** Spans dropped because too many were waiting for an export. */
  long queueFull() {
    return queueFull.get();
  }

  /** Records one span dropped by queue overflow. */
  void queueOverflowed() {
    queueFull.incrementAndGet();
  }

  /** Spans in batches whose export failed. */
  long failedExport() {
    return failedExport.get();
  }

  /**
   * Records that the export of {@code spans} spans failed; {@code failure} (may be null) says why.
   * Thread-safe: called when an export's result completes, on the exporter's thread.
   */
  void exportFailed(int spans, Throwable failure) {
    lastError = describe(failure);
    failedExport.addAndGet(spans);
  }

  /**
   * Logs the spans lost since the last report: at most once a {@link #REPORT_INTERVAL}, the first
   * time as soon as a loss is seen; with {@code force} (shutdown) whenever there is one.
   */
  synchronized void report(boolean force) {
    Instant now = clock.instant();
    if (!force && now.isBefore(lastReport.plus(REPORT_INTERVAL))) {
      return;
    }
    long failed = failedExport();
    long queueFull = queueFull();
    long newQueueFull = queueFull - reportedQueueFull;
    long newFailed = failed - reportedFailedExport;
    if (newQueueFull + newFailed <= 0) {
      return;
    }
    log.warn("Dropped {} span(s) of {} {} on their way to {}:"
            + " {} by queue overflow (the trace backend is too slow or unreachable, so the export"
            + " queue filled up), {} refused by the backend or never delivered{}."
            + " Those traces are incomplete; executions are not affected",
        newQueueFull + newFailed, serviceName,
        lastReport.equals(Instant.MIN) ? "since start"
            : "in the last " + ago(lastReport, now) + " (" + (queueFull + failed) + " since start)",
        destination, newQueueFull, newFailed,
        newFailed > 0 && lastError != null ? " (last error: " + lastError + ")" : "");
    reportedQueueFull = queueFull;
    reportedFailedExport = failed;
    lastReport = now;
  }

  private static String ago(Instant since, Instant now) {
    long seconds = Duration.between(since, now).toSeconds();
    return seconds < 120 ? seconds + " s" : (seconds / 60) + " min";
  }

  /**
   * One line on why an export failed: {@code HTTP 500}, {@code HTTP 400: <the backend's message>},
   * or the exception and its root cause, e.g. {@code could not connect: java.net.ConnectException,
   * caused by java.nio.channels.ClosedChannelException}.
   */
  static String describe(Throwable failure) {
    if (failure == null) {
      return "the exporter reported a failure without a reason";
    }
    if (failure instanceof FailedExportException.HttpExportException http) {
      HttpResponse response = http.getResponse();
      if (http.failedWithResponse() && response != null) {
        String message = backendMessage(response.getResponseBody());
        return "HTTP " + response.getStatusCode() + (message.isEmpty() ? "" : ": " + message);
      }
      if (http.getCause() != null) {
        failure = http.getCause();
      }
    }
    String hint = "";
    Throwable root = failure;
    for (int depth = 0; root != null && depth < 16; depth++) {
      if (hint.isEmpty() && root instanceof java.net.ConnectException) {
        hint = "could not connect: ";
      } else if (hint.isEmpty() && (root instanceof java.net.http.HttpTimeoutException
          || root instanceof java.net.SocketTimeoutException)) {
        hint = "no answer within the export timeout: ";
      }
      if (root.getCause() == null || root.getCause() == root) {
        break;
      }
      root = root.getCause();
    }
    String described = name(failure);
    if (root != failure) {
      described += ", caused by " + name(root);
    }
    return truncate(hint + described);
  }

  private static String name(Throwable t) {
    String message = t.getMessage();
    return t.getClass().getName() + (message == null || message.isBlank() ? "" : ": " + message.strip());
  }

  /**
   * The message in an OTLP error body: a {@code google.rpc.Status} (protobuf: field 1 code, field
   * 2 message), else the body itself when it is short text (a JSON or plain-text error).
   */
  static String backendMessage(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String status = statusMessage(body);
    if (status != null) {
      return truncate(status.strip());
    }
    String text = new String(body, StandardCharsets.UTF_8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t' || c == '\uFFFD') {
        return ""; // binary we cannot read
      }
    }
    return truncate(text.strip().replaceAll("\\s+", " "));
  }

  /** Field 2 of a protobuf {@code google.rpc.Status}, or null when {@code body} is not one. */
  private static String statusMessage(byte[] body) {
    int i = 0;
    String message = null;
    while (i < body.length) {
      long key = 0;
      int shift = 0;
      while (true) {
        if (i >= body.length || shift > 28) {
          return null;
        }
        byte b = body[i++];
        key |= (long) (b & 0x7f) << shift;
        shift += 7;
        if (b >= 0) {
          break;
        }
      }
      int field = (int) (key >>> 3);
      int wireType = (int) (key & 7);
      if (field == 0) {
        return null;
      }
      if (wireType == 0) { // varint
        int start = i;
        while (i < body.length && body[i] < 0) {
          i++;
        }
        if (i >= body.length || i - start > 9) {
          return null;
        }
        i++;
      } else if (wireType == 2) { // length-delimited
        long length = 0;
        shift = 0;
        while (true) {
          if (i >= body.length || shift > 28) {
            return null;
          }
          byte b = body[i++];
          length |= (long) (b & 0x7f) << shift;
          shift += 7;
          if (b >= 0) {
            break;
          }
        }
        if (length > body.length - i) {
          return null;
        }
        if (field == 2) {
          message = new String(body, i, (int) length, StandardCharsets.UTF_8);
        }
        i += (int) length;
      } else {
        return null;
      }
    }
    return message;
  }

  private static String truncate(String s) {
    return s.length() <= MAX_ERROR_LENGTH ? s : s.substring(0, MAX_ERROR_LENGTH) + "…";
  }
}
