package io.servo.telemetry.config;

import io.servo.settings.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which executions are exported whole whatever the head-sampling decision (retroactive keep), and
 * the bounds on keeping.
 *
 * @param errors {@code SERVO_TRACE_KEEP} contains {@code errors}: executions that end failed or
 *     timed out are kept
 * @param slowerThan with {@code slow} in {@code SERVO_TRACE_KEEP}: {@code
 *     SERVO_TRACE_KEEP_SLOWER_THAN}, the duration from creation to end above which an execution is
 *     kept
 * @param perMinute {@code SERVO_TRACE_KEEP_PER_MINUTE}: kept traces one process exports per minute
 *     at most; the excess is counted and reported, like dropped spans
 * @param bufferBytes {@code SERVO_TRACE_KEEP_BUFFER_BYTES}: memory one process spends at most on
 *     the light records of unsampled executions that may still be kept
 */
public record TraceKeepConfig(boolean errors, Optional<Duration> slowerThan, int perMinute, long bufferBytes) {
  public static final int DEFAULT_PER_MINUTE = 60;
  public static final long DEFAULT_BUFFER_BYTES = 8L * 1024 * 1024;
  /** Keeps nothing. */
  public static final TraceKeepConfig NONE = new TraceKeepConfig(false, Optional.empty(),
      DEFAULT_PER_MINUTE, DEFAULT_BUFFER_BYTES);
  /** The default: errors, at the default bounds. */
  public static final TraceKeepConfig ERRORS = new TraceKeepConfig(true, Optional.empty(),
      DEFAULT_PER_MINUTE, DEFAULT_BUFFER_BYTES);

  public TraceKeepConfig {
    Objects.requireNonNull(slowerThan, "slowerThan");
    if (perMinute < 1 || bufferBytes < 1) {
      throw new IllegalArgumentException("perMinute and bufferBytes must be positive");
    }
  }

  /** Whether anything is kept. */
  public boolean enabled() {
    return errors || slowerThan.isPresent();
  }

  /** {@code SERVO_TRACE_KEEP} as written: {@code errors}, {@code errors,slow}, {@code slow} or {@code none}. */
  public String description() {
    if (!enabled()) {
      return "none";
    }
    String slow = slowerThan.map(d -> "slow>" + io.servo.settings.DurationText.format(d)).orElse("");
    return errors ? (slow.isEmpty() ? "errors" : "errors," + slow) : slow;
  }

  /** This configuration with another cap per minute. */
  public TraceKeepConfig withPerMinute(int value) {
    return new TraceKeepConfig(errors, slowerThan, value, bufferBytes);
  }

  /** This configuration with another memory budget. */
  public TraceKeepConfig withBufferBytes(long value) {
    return new TraceKeepConfig(errors, slowerThan, perMinute, value);
  }

  static TraceKeepConfig read(Settings settings) {
    List<String> kinds = settings.list("SERVO_TRACE_KEEP",
        v -> v.equals("errors") || v.equals("slow") || v.equals("none") ? v : null,
        "errors, errors,slow or none");
    boolean none = kinds.contains("none");
    if (none && kinds.size() > 1) {
      settings.invalid("SERVO_TRACE_KEEP", String.join(",", kinds), "errors, errors,slow or none ("
          + "none alone)");
    }
    boolean errors = kinds.isEmpty() || kinds.contains("errors");
    boolean slow = kinds.contains("slow");
    Duration threshold = settings.duration("SERVO_TRACE_KEEP_SLOWER_THAN", null,
        Duration.ofMillis(1), Duration.ofDays(7));
    if (slow && threshold == null && !settings.isSet("SERVO_TRACE_KEEP_SLOWER_THAN")) {
      settings.problem("SERVO_TRACE_KEEP_SLOWER_THAN", "SERVO_TRACE_KEEP_SLOWER_THAN is not set: "
          + "SERVO_TRACE_KEEP=" + String.join(",", kinds) + " keeps slow executions, so it needs the "
          + "duration above which an execution is slow, e.g. SERVO_TRACE_KEEP_SLOWER_THAN=30s");
    }
    if (!slow && threshold != null) {
      settings.problem("SERVO_TRACE_KEEP_SLOWER_THAN", "SERVO_TRACE_KEEP_SLOWER_THAN is set but "
          + "SERVO_TRACE_KEEP does not contain slow: set SERVO_TRACE_KEEP=errors,slow to keep slow "
          + "executions, or unset SERVO_TRACE_KEEP_SLOWER_THAN");
    }
    int perMinute = settings.integer("SERVO_TRACE_KEEP_PER_MINUTE", DEFAULT_PER_MINUTE, 1, 1_000_000);
    long bufferBytes = settings.longInteger("SERVO_TRACE_KEEP_BUFFER_BYTES", DEFAULT_BUFFER_BYTES,
        16 * 1024, 1L << 34);
    return new TraceKeepConfig(!none && errors, Optional.ofNullable(!none && slow ? threshold : null),
        perMinute, bufferBytes);
  }
}
