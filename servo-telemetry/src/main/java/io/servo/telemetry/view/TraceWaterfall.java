package io.servo.telemetry.view;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Draws traces as text waterfalls for a terminal ({@code servo dev}, {@code servo demo}).
 *
 * <pre>
 * trace 0af7651916cd43dd8448eb211c80319c · 3 spans · 100.0 ms
 * POST /executions     SERVER    servo-orchestrator  100.0 ms  |████████████████████|
 *   enqueue            PRODUCER  servo-orchestrator   20.0 ms  |  ████              |
 *     POST /execute    SERVER    servo-worker         50.0 ms  |      ██████████    |  ✗ boom  ⇢ 1 link
 * </pre>
 *
 * <p>Each trace starts with a header line; its spans follow as a tree, children under their parent
 * in order of start time. A span whose parent is not among the spans is drawn as a root. Each line
 * shows the span name indented by depth, the kind, {@code service.name} from the resource, the
 * duration in milliseconds and a bar placed by start offset and scaled to the trace's extent. An
 * error status adds {@code ✗} and the status description; links are counted. The output depends
 * only on the spans, so the same spans always render the same text.
 */
public final class TraceWaterfall {
  private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
  private static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final int INDENT = 2;
  private static final int KIND_WIDTH = 8;
  private static final int MAX_LABEL = 50;
  private static final int MAX_SERVICE = 30;
  private static final int MIN_BAR = 10;
  private static final String GAP = "  ";
  private static final char FILLED = '█';
  private static final char EMPTY = ' ';

  private static final Comparator<SpanData> BY_START = Comparator
      .comparingLong(SpanData::getStartEpochNanos)
      .thenComparing(SpanData::getName)
      .thenComparing(SpanData::getSpanId);

  private TraceWaterfall() {}

  /**
   * Renders {@code spans}, which may belong to several traces, as waterfalls, one after another in
   * order of start time. Lines end with {@code \n}.
   *
   * @param width the terminal width; the bars get what the other columns leave, at least 10
   *     columns (long names and error descriptions may make a line wider)
   * @throws IllegalArgumentException if {@code width} is not positive
   */
  public static String render(Collection<SpanData> spans, int width) {
    return render(spans, width, List.of());
  }

  /**
   * Like {@link #render(Collection, int)}, with the value of the first of {@code detailKeys} a span
   * carries shown after its name (e.g. which asset an {@code execute_asset} span ran).
   */
  public static String render(Collection<SpanData> spans, int width, List<AttributeKey<String>> detailKeys) {
    Objects.requireNonNull(spans, "spans");
    Objects.requireNonNull(detailKeys, "detailKeys");
    if (width < 1) {
      throw new IllegalArgumentException("width must be positive, was " + width);
    }
    if (spans.isEmpty()) {
      return "";
    }
    Map<String, List<SpanData>> byTrace = new LinkedHashMap<>();
    spans.stream().sorted(BY_START)
        .forEach(s -> byTrace.computeIfAbsent(s.getTraceId(), id -> new ArrayList<>()).add(s));

    List<Row> rows = new ArrayList<>();
    for (List<SpanData> trace : byTrace.values()) {
      rows.addAll(rows(trace, detailKeys));
    }
    int labelWidth = 0;
    int serviceWidth = 0;
    int durationWidth = 0;
    for (Row row : rows) {
      labelWidth = Math.max(labelWidth, row.label.length());
      serviceWidth = Math.max(serviceWidth, row.service.length());
      durationWidth = Math.max(durationWidth, row.duration.length());
    }
    int fixed = labelWidth + GAP.length() + KIND_WIDTH + GAP.length() + serviceWidth
        + GAP.length() + durationWidth + GAP.length() + 2;
    int barWidth = Math.max(MIN_BAR, width - fixed);

    StringBuilder out = new StringBuilder();
    String currentTrace = null;
    for (Row row : rows) {
      if (!row.traceId.equals(currentTrace)) {
        if (currentTrace != null) {
          out.append('\n');
        }
        currentTrace = row.traceId;
        out.append(header(byTrace.get(currentTrace))).append('\n');
      }
      out.append(pad(row.label, labelWidth)).append(GAP)
          .append(pad(row.kind, KIND_WIDTH)).append(GAP)
          .append(pad(row.service, serviceWidth)).append(GAP)
          .append(padLeft(row.duration, durationWidth)).append(GAP)
          .append('|').append(bar(row, barWidth)).append('|')
          .append(row.suffix).append('\n');
    }
    return out.toString();
  }

  private static String header(List<SpanData> trace) {
    long start = trace.stream().mapToLong(SpanData::getStartEpochNanos).min().orElse(0);
    long end = trace.stream().mapToLong(TraceWaterfall::endOf).max().orElse(start);
    return "trace " + trace.get(0).getTraceId() + " · " + trace.size()
        + (trace.size() == 1 ? " span" : " spans") + " · " + millis(end - start);
  }

  /** The spans of one trace, sorted by start, as rows in tree order. */
  private static List<Row> rows(List<SpanData> trace, List<AttributeKey<String>> detailKeys) {
    Set<String> ids = new HashSet<>();
    for (SpanData span : trace) {
      ids.add(span.getSpanId());
    }
    Map<String, List<SpanData>> children = new HashMap<>();
    List<SpanData> roots = new ArrayList<>();
    for (SpanData span : trace) {
      String parent = span.getParentSpanId();
      if (span.getParentSpanContext().isValid() && ids.contains(parent)
          && !parent.equals(span.getSpanId())) {
        children.computeIfAbsent(parent, p -> new ArrayList<>()).add(span);
      } else {
        roots.add(span);
      }
    }
    long traceStart = trace.stream().mapToLong(SpanData::getStartEpochNanos).min().orElse(0);
    long traceEnd = trace.stream().mapToLong(TraceWaterfall::endOf).max().orElse(traceStart);
    List<Row> rows = new ArrayList<>();
    Set<String> drawn = new HashSet<>();
    for (SpanData root : roots) {
      walk(root, 0, children, drawn, rows, traceStart, traceEnd, detailKeys);
    }
    // Spans caught in a parent cycle (possible only with hand-made data) are drawn as roots.
    for (SpanData span : trace) {
      if (!drawn.contains(span.getSpanId())) {
        walk(span, 0, children, drawn, rows, traceStart, traceEnd, detailKeys);
      }
    }
    return rows;
  }

  private static void walk(SpanData span, int depth, Map<String, List<SpanData>> children,
      Set<String> drawn, List<Row> rows, long traceStart, long traceEnd,
      List<AttributeKey<String>> detailKeys) {
    if (!drawn.add(span.getSpanId())) {
      return;
    }
    rows.add(Row.of(span, depth, traceStart, traceEnd, detailKeys));
    // Children were added in start order, because the trace's spans are sorted.
    for (SpanData child : children.getOrDefault(span.getSpanId(), List.of())) {
      walk(child, depth + 1, children, drawn, rows, traceStart, traceEnd, detailKeys);
    }
  }

  private static String bar(Row row, int barWidth) {
    long extent = row.traceEnd - row.traceStart;
    int from;
    int to;
    if (extent <= 0) {
      from = 0;
      to = barWidth;
    } else {
      long startOffset = row.start - row.traceStart;
      long endOffset = row.end - row.traceStart;
      from = (int) Math.min(barWidth - 1, startOffset * barWidth / extent);
      // Round the end up so that every span, however short, gets at least one column.
      to = (int) Math.min(barWidth, (endOffset * barWidth + extent - 1) / extent);
      to = Math.max(to, from + 1);
    }
    StringBuilder bar = new StringBuilder(barWidth);
    for (int i = 0; i < barWidth; i++) {
      bar.append(i >= from && i < to ? FILLED : EMPTY);
    }
    return bar.toString();
  }

  private static long endOf(SpanData span) {
    return Math.max(span.getStartEpochNanos(), span.getEndEpochNanos());
  }

  private static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1_000_000.0);
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }

  private static String padLeft(String s, int width) {
    return " ".repeat(Math.max(0, width - s.length())) + s;
  }

  /** Keeps a line a line: control characters become spaces; long text is cut with an ellipsis. */
  private static String clean(String s, int max) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && out.length() < max; i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    if (s.length() > max) {
      out.setCharAt(max - 1, '…');
    }
    return out.toString();
  }

  private record Row(String traceId, String label, String kind, String service, String duration,
      String suffix, long start, long end, long traceStart, long traceEnd) {

    static Row of(SpanData span, int depth, long traceStart, long traceEnd,
        List<AttributeKey<String>> detailKeys) {
      String indent = " ".repeat(Math.min(depth * INDENT, MAX_LABEL / 2));
      String name = span.getName();
      for (AttributeKey<String> key : detailKeys) {
        String detail = span.getAttributes().get(key);
        if (detail != null && !detail.isEmpty()) {
          name = name + " " + detail;
          break;
        }
      }
      String label = indent + clean(name, MAX_LABEL - indent.length());
      String service = span.getResource().getAttribute(SERVICE_NAME);
      service = service == null || service.isEmpty() ? "-" : clean(service, MAX_SERVICE);
      StringBuilder suffix = new StringBuilder();
      if (span.getStatus().getStatusCode() == StatusCode.ERROR) {
        suffix.append("  ✗");
        String description = span.getStatus().getDescription();
        if (description != null && !description.isEmpty()) {
          suffix.append(' ').append(clean(description, 200));
        }
      }
      // Events: an exception says what failed; other events are counted.
      int otherEvents = 0;
      for (io.opentelemetry.sdk.trace.data.EventData event : span.getEvents()) {
        String type = event.getAttributes().get(EXCEPTION_TYPE);
        if ("exception".equals(event.getName()) && type != null) {
          String message = event.getAttributes().get(EXCEPTION_MESSAGE);
          suffix.append("  ! ").append(clean(type.substring(type.lastIndexOf('.') + 1), 60));
          if (message != null && !message.isBlank()) {
            suffix.append(": ").append(clean(message.strip().lines().findFirst().orElse(""), 160));
          }
        } else {
          otherEvents++;
        }
      }
      if (otherEvents > 0) {
        suffix.append("  · ").append(otherEvents).append(otherEvents == 1 ? " event" : " events");
      }
      int links = span.getTotalRecordedLinks();
      if (links > 0) {
        suffix.append("  ⇢ ").append(links).append(links == 1 ? " link" : " links");
      }
      return new Row(span.getTraceId(), label, span.getKind().name(), service,
          millis(endOf(span) - span.getStartEpochNanos()), suffix.toString(),
          span.getStartEpochNanos(), endOf(span), traceStart, traceEnd);
    }
  }
}
