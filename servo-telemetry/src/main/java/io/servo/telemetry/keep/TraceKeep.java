package io.servo.telemetry.keep;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.telemetry.config.TraceKeepConfig;
import io.servo.telemetry.redaction.RedactingSpanExporter;
import io.servo.telemetry.redaction.Redactor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retroactive keep: a trace the head sampler left out is exported whole after all when its execution
 * ends failed or timed out, or slower than a threshold ({@code SERVO_TRACE_KEEP}). While an unsampled
 * execution runs, each service notes only a {@link TraceSkeleton}; this decides whether a trace is
 * kept, bounds what keeping costs, and exports kept spans through the service's own span processors.
 *
 * <p>Two bounds: at most {@code SERVO_TRACE_KEEP_PER_MINUTE} kept traces a minute (a token bucket,
 * so a storm of failures does not turn into 100% sampling against the backend) and at most {@code
 * SERVO_TRACE_KEEP_BUFFER_BYTES} of skeletons held at once. What either bound refuses is counted and
 * reported in a WARN line at most once a minute, like dropped spans.
 */
public final class TraceKeep {
  private static final Logger log = LoggerFactory.getLogger(TraceKeep.class);
  /** On every span of a kept trace: why it was kept, {@code error} or {@code slow}. */
  public static final AttributeKey<String> KEPT = AttributeKey.stringKey("servo.trace.kept");
  public static final String ERROR = "error";
  public static final String SLOW = "slow";
  static final Duration REPORT_INTERVAL = Duration.ofMinutes(1);

  /** Keeps nothing: tracing is off, keeping is off, or the SDK was not started by ServoTelemetry. */
  public static final TraceKeep DISABLED = new TraceKeep(TraceKeepConfig.NONE, List.of(), Resource.empty(),
      IdGenerator.random(), Clock.systemUTC(), "-", Redactor.create(List.of()));

  private final TraceKeepConfig config;
  private final List<SpanProcessor> processors;
  private final Resource resource;
  private final IdGenerator ids;
  private final Clock clock;
  private final String serviceName;
  private final RedactingSpanExporter redaction;
  private final AtomicLong reservedBytes = new AtomicLong();
  private final AtomicLong kept = new AtomicLong();
  private final AtomicLong capped = new AtomicLong();
  private final AtomicLong overBudget = new AtomicLong();
  private double tokens; // guarded by this
  private Instant refilled; // guarded by this
  private Instant lastReport = Instant.MIN; // guarded by this
  private long reportedCapped; // guarded by this
  private long reportedOverBudget; // guarded by this

  private TraceKeep(TraceKeepConfig config, List<SpanProcessor> processors, Resource resource,
      IdGenerator ids, Clock clock, String serviceName, Redactor redactor) {
    this.config = config;
    // The exporters' own redaction, without an exporter behind it: only redact(span) is used.
    this.redaction = RedactingSpanExporter.create(SpanExporter.composite(), redactor);
    this.processors = List.copyOf(processors);
    this.resource = resource;
    this.ids = ids;
    this.clock = clock;
    this.serviceName = serviceName;
    this.tokens = config.perMinute();
    this.refilled = clock.instant();
  }

  /**
   * Keeps through {@code processors} (for example a {@code SimpleSpanProcessor} around an in-memory
   * exporter in a test), as spans of {@code resource}.
   */
  public static TraceKeep create(TraceKeepConfig config, List<SpanProcessor> processors, Resource resource,
      IdGenerator ids, Clock clock, String serviceName, Redactor redactor) {
    Objects.requireNonNull(config, "config");
    if (!config.enabled() || processors.isEmpty()) {
      return DISABLED;
    }
    return new TraceKeep(config, processors, Objects.requireNonNull(resource, "resource"),
        Objects.requireNonNull(ids, "ids"), Objects.requireNonNull(clock, "clock"), serviceName,
        Objects.requireNonNull(redactor, "redactor"));
  }

  /**
   * The keep of the service whose {@code ServoTelemetry.openTelemetry()} this is; {@link #DISABLED}
   * for any other {@link OpenTelemetry}.
   */
  public static TraceKeep of(OpenTelemetry openTelemetry) {
    return KeepHolder.keepOf(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  /** Whether unsampled executions are noted at all. */
  public boolean enabled() {
    return this != DISABLED;
  }

  public TraceKeepConfig config() {
    return config;
  }

  /**
   * Why an execution that ended so should be kept ({@link #ERROR} or {@link #SLOW}), or null; the
   * cap is not consulted ({@link #admit()}).
   *
   * @param failed whether it ended failed or timed out
   * @param took from its creation to its end
   */
  public String reason(boolean failed, Duration took) {
    if (!enabled()) {
      return null;
    }
    if (failed && config.errors()) {
      return ERROR;
    }
    if (config.slowerThan().isPresent() && took != null && took.compareTo(config.slowerThan().get()) > 0) {
      return SLOW;
    }
    return null;
  }

  /** Takes one kept trace out of this minute's allowance; false (and counted) when it is spent. */
  public synchronized boolean admit() {
    Instant now = clock.instant();
    long elapsedNanos = Math.max(0, Duration.between(refilled, now).toNanos());
    refilled = now;
    tokens = Math.min(config.perMinute(), tokens + config.perMinute() * (elapsedNanos / 60e9));
    if (tokens >= 1) {
      tokens -= 1;
      kept.incrementAndGet();
      return true;
    }
    capped.incrementAndGet();
    report(false);
    return false;
  }

  /** Holds {@code bytes} of the memory budget; false (and counted) when they do not fit. */
  public boolean reserve(long bytes) {
    long after = reservedBytes.addAndGet(bytes);
    if (after > config.bufferBytes()) {
      reservedBytes.addAndGet(-bytes);
      overBudget.incrementAndGet();
      report(false);
      return false;
    }
    return true;
  }

  /** Gives back what {@link #reserve} held. */
  public void release(long bytes) {
    reservedBytes.addAndGet(-bytes);
  }

  /** Counts a skeleton given up for memory after it was held (evicted). */
  public void evicted() {
    overBudget.incrementAndGet();
    report(false);
  }

  /** Exports the spans of a kept trace, as the SDK exports its own ended spans. */
  public void export(List<? extends ReadableSpan> spans) {
    for (ReadableSpan span : spans) {
      for (SpanProcessor processor : processors) {
        processor.onEnd(span);
      }
    }
  }

  /**
   * {@code spans} redacted as the exporters would redact them, as text for another service to export
   * ({@link KeptSpanCodec}): what leaves the process this way is no less redacted than a span.
   */
  public String encodeRedacted(List<? extends SpanData> spans) {
    List<SpanData> redacted = new ArrayList<>(spans.size());
    for (SpanData span : spans) {
      redacted.add(redaction.redact(span));
    }
    return KeptSpanCodec.encode(redacted);
  }

  /** The resource of this service's spans. */
  public Resource resource() {
    return resource;
  }

  /** Where the span ids of kept spans come from: the SDK's generator. */
  public IdGenerator ids() {
    return ids;
  }

  /** Bytes of skeletons held now. */
  public long heldBytes() {
    return reservedBytes.get();
  }

  /** Traces admitted since start. */
  public long keptTraces() {
    return kept.get();
  }

  /** Traces not kept since start because the cap per minute was spent. */
  public long cappedTraces() {
    return capped.get();
  }

  /** Executions not noted, or given up, since start because the memory budget was spent. */
  public long overBudgetTraces() {
    return overBudget.get();
  }

  /** Logs what the bounds refused since the last report: at most once a minute, unless {@code force}. */
  public synchronized void report(boolean force) {
    Instant now = clock.instant();
    if (!force && lastReport != Instant.MIN && now.isBefore(lastReport.plus(REPORT_INTERVAL))) {
      return;
    }
    long newCapped = capped.get() - reportedCapped;
    long newOverBudget = overBudget.get() - reportedOverBudget;
    if (newCapped + newOverBudget <= 0) {
      return;
    }
    log.warn("Retroactive keep of {} left out {} trace(s) {}: {} over SERVO_TRACE_KEEP_PER_MINUTE={}, "
            + "{} over SERVO_TRACE_KEEP_BUFFER_BYTES={} (kept {} since start). Those executions "
            + "ran normally; only their traces are missing",
        serviceName, newCapped + newOverBudget,
        lastReport == Instant.MIN ? "since start" : "in the last minute",
        newCapped, config.perMinute(), newOverBudget, config.bufferBytes(), kept.get());
    reportedCapped = capped.get();
    reportedOverBudget = overBudget.get();
    lastReport = now;
  }

  /** Where {@link #of} finds a service's keep; implemented by ServoTelemetry's OpenTelemetry. */
  public interface KeepHolder {
    TraceKeep traceKeep();

    static TraceKeep keepOf(OpenTelemetry openTelemetry) {
      return openTelemetry instanceof KeepHolder holder ? holder.traceKeep() : DISABLED;
    }
  }
}
