package io.servo.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/** Prints an execution as the API returns it: one line for the execution, one per asset. */
public final class ExecutionView {
  private ExecutionView() {}

  public static void print(JsonNode execution, PrintStream out) {
    out.printf("execution %s  %s  (workflow %s v%s)%n",
        text(execution, "execution_id"), text(execution, "state").toUpperCase(java.util.Locale.ROOT),
        text(execution, "workflow"), text(execution, "workflow_version"));
    if (execution.hasNonNull("error")) {
      out.println("  error: " + execution.get("error").asText());
    }
    JsonNode queue = execution.path("queue");
    if (queue.hasNonNull("message")) {
      out.println("  queued: " + queue.get("message").asText()
          + (queue.hasNonNull("since") ? " (due since " + queue.get("since").asText() + ")" : ""));
    }
    for (JsonNode asset : execution.path("assets")) {
      out.println(assetLine(asset));
    }
    if (execution.hasNonNull("trace_id")) {
      out.println("  trace " + execution.get("trace_id").asText()
          + (execution.hasNonNull("trace_url") ? "  " + execution.get("trace_url").asText() : "")
          + (execution.hasNonNull("trace_kept") ? "  (kept whole: " + execution.get("trace_kept").asText() + ")" : ""));
    }
    if (execution.hasNonNull("trace_waterfall")) {
      out.println();
      out.print(execution.get("trace_waterfall").asText());
    }
  }

  public static String assetLine(JsonNode asset) {
    String status = text(asset, "status");
    if (status.equals("failed") && io.servo.worker.assets.AssetOutcome.isTimeout(text(asset, "error"))) {
      status = "timed out"; // stored as failed; the execution ends TIMEOUT
    }
    String mark = switch (status) {
      case "succeeded" -> "✓";
      case "failed", "timed out" -> "✗";
      case "skipped" -> "-";
      default -> "…";
    };
    // Columns: a long name or duration still leaves a space before the next column.
    StringBuilder line = new StringBuilder(String.format("  %s %-20s %-9s %9s", mark, text(asset, "name") + " ",
        status, duration(asset)));
    String detail = asset.hasNonNull("error") ? asset.get("error").asText() : asset.path("output").asText("");
    if (!detail.isBlank()) {
      line.append("  ").append(firstLine(detail));
    }
    return line.toString();
  }

  private static String duration(JsonNode asset) {
    if (!asset.hasNonNull("started_at") || !asset.hasNonNull("ended_at")) {
      return "";
    }
    Duration d = Duration.between(Instant.parse(asset.get("started_at").asText()),
        Instant.parse(asset.get("ended_at").asText()));
    long millis = d.toMillis();
    if (millis < 10_000) {
      return millis + " ms";
    }
    return millis < 600_000 ? String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0)
        : io.servo.settings.DurationText.format(d.withNanos(0));
  }

  private static String firstLine(String s) {
    String trimmed = s.strip();
    int nl = trimmed.indexOf('\n');
    String first = nl < 0 ? trimmed : trimmed.substring(0, nl) + " …";
    return first.length() > 120 ? first.substring(0, 117) + "..." : first;
  }

  static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.get(field).asText() : "";
  }
}
