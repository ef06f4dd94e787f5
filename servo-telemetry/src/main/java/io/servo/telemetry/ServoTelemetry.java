package io.servo.telemetry;

import com.google.auth.oauth2.GoogleCredentials;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.servo.telemetry.config.TraceExporter;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.config.TracePropagator;
import io.servo.telemetry.config.TracingConfig;
import io.servo.telemetry.jdbc.JdbcTracing;
import io.servo.telemetry.logging.SdkLogBridge;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.telemetry.redaction.RedactingSpanExporter;
import io.servo.telemetry.redaction.Redactor;
import io.servo.telemetry.view.TraceLinks;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK of one Servo service: sampler, resource, exporter, redaction and lifecycle.
 *
 * <p>Start one per service with {@link #start(TracingConfig, String)} and pass {@link
 * #openTelemetry()} to whatever needs it; nothing is registered globally, so two services in one JVM
 * each have their own SDK and resource. When tracing is disabled the instance holds {@link
 * OpenTelemetry#noop()} and starts no thread.
 *
 * <p>Every span goes through redaction ({@link RedactingSpanExporter}) before any exporter, including
 * exporters added with {@link Builder#addSpanExporter(SpanExporter)}. Export is asynchronous and
 * bounded: a slow or unreachable exporter never slows the code that creates spans; spans that do not
 * fit in the queue, and spans in an export that failed, are dropped, counted ({@link
 * #droppedSpans()}) and logged at most once a minute. The SDK's own java.util.logging output goes to
 * SLF4J in Servo's format ({@link SdkLogBridge}), without its per-export warnings.
 */
public final class ServoTelemetry implements AutoCloseable {

  /** Bound of {@link #close()}: well inside Cloud Run's 10 s between SIGTERM and SIGKILL. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

  /** Bound of {@link #flushOnResponse()}. */
  public static final Duration DEFAULT_RESPONSE_FLUSH_TIMEOUT = Duration.ofMillis(500);

  private static final Logger log = LoggerFactory.getLogger(ServoTelemetry.class);
  /** Between two flushes of {@link #forceFlush(Duration)} when an export is still under way. */
  private static final long RETRY_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  private final TracingConfig config;
  private final OpenTelemetry openTelemetry;
  private final SdkTracerProvider sdk;
  private final DroppedSpans droppedSpans;
  private final List<ExportLedger> ledgers;
  private final Redactor redactor;
  private final TraceLinks traceLinks;
  /** Set by shutdown: a flush then stops waiting for spans the stopped processors will not export. */
  private volatile boolean shutDown;

  private ServoTelemetry(TracingConfig config, OpenTelemetry openTelemetry, SdkTracerProvider sdk,
      DroppedSpans droppedSpans, List<ExportLedger> ledgers, Redactor redactor,
      TraceLinks traceLinks) {
    this.config = config;
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
    this.droppedSpans = droppedSpans;
    this.ledgers = ledgers;
    this.redactor = redactor;
    this.traceLinks = traceLinks;
  }

  /**
   * Starts the SDK of the service {@code serviceName} (for example {@code servo-orchestrator} or
   * {@code servo-worker}) as configured.
   *
   * @throws io.servo.settings.SettingsException when the exporter cannot be set up, for example Cloud Trace
   *     without credentials or project; the message says how to fix it
   */
  public static ServoTelemetry start(TracingConfig config, String serviceName) {
    return builder(config, serviceName).start();
  }

  /** A builder for extra exporters and other options; finish with {@link Builder#start()}. */
  public static Builder builder(TracingConfig config, String serviceName) {
    return new Builder(Objects.requireNonNull(config, "config"),
        Objects.requireNonNull(serviceName, "serviceName"));
  }

  /** The instance to pass to instrumentation and to Servo's own tracing. */
  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** Whether tracing is on (an SDK is running). */
  public boolean enabled() {
    return sdk != null;
  }

  /** The configuration this instance was started with. */
  public TracingConfig config() {
    return config;
  }

  /** The redactor applied to every span, including {@code SERVO_TRACE_REDACT_KEYS}. */
  public Redactor redactor() {
    return redactor;
  }

  /**
   * Links to traces in their UI ({@link TraceLinks}); for Cloud Trace with the project found at
   * start-up, also when {@code GCP_PROJECT_ID} is unset.
   */
  public TraceLinks traceLinks() {
    return traceLinks;
  }

  /**
   * Exports the spans ended so far, waiting at most {@code timeout}: returns once every sampled span
   * that ended before the call has been exported, or has been counted as dropped ({@link
   * #droppedSpans()}), also while other threads flush at the same time. When no such span is
   * waiting (nothing sampled since the last export ended) it returns at once, without involving
   * the exporters' threads.
   *
   * @return whether that happened in time
   */
  public boolean forceFlush(Duration timeout) {
    if (sdk == null) {
      return true;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    long[] ended = new long[ledgers.size()];
    for (int i = 0; i < ended.length; i++) {
      ended[i] = ledgers.get(i).handedOver();
    }
    // Nothing sampled waiting (an unsampled request, or its spans already exported) asks for no
    // flush: waking the batch processors' threads would only cost the answer a round trip (about
    // 40 µs, servo-bench's ResponseFlush at 0% sampling).
    boolean done = settled(ended);
    while (!done) {
      CompletableResultCode flush = sdk.forceFlush();
      flush.join(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      // A flush requested while another is under way is answered by that one, which may have
      // counted the queue before this thread's spans arrived: check, and ask again if needed.
      done = flush.isDone() && settled(ended);
      if (done || shutDown || System.nanoTime() - deadline >= 0) {
        break;
      }
      LockSupport.parkNanos(RETRY_PAUSE_NANOS);
    }
    droppedSpans.report(false);
    return done;
  }

  private boolean settled(long[] ended) {
    for (int i = 0; i < ended.length; i++) {
      if (ledgers.get(i).settled() < ended[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The worker's flush before it answers a request (on Cloud Run the CPU may be throttled once the
   * response is sent): a {@link #DEFAULT_RESPONSE_FLUSH_TIMEOUT} flush when {@code
   * SERVO_TRACE_FLUSH_ON_RESPONSE} is on, nothing otherwise.
   */
  public boolean flushOnResponse() {
    return flushOnResponse(DEFAULT_RESPONSE_FLUSH_TIMEOUT);
  }

  /** Like {@link #flushOnResponse()} with another bound. */
  public boolean flushOnResponse(Duration timeout) {
    return !config.flushOnResponse() || forceFlush(timeout);
  }

  /**
   * Flushes pending spans and stops the exporters, waiting at most {@code timeout}. Later spans are
   * not exported.
   *
   * @return whether the flush and shutdown completed in time
   */
  public boolean shutdown(Duration timeout) {
    if (sdk == null) {
      return true;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    // The SDK's shutdown flushes too, but can be answered early like any flush (see forceFlush).
    forceFlush(timeout);
    CompletableResultCode result = sdk.shutdown()
        .join(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    shutDown = true;
    droppedSpans.report(true);
    if (!result.isSuccess()) {
      log.warn("Trace export did not finish within {} ms at shutdown; some spans may be lost",
          timeout.toMillis());
    }
    return result.isSuccess();
  }

  /** {@link #shutdown(Duration)} with {@link #DEFAULT_SHUTDOWN_TIMEOUT}. */
  @Override
  public void close() {
    shutdown(DEFAULT_SHUTDOWN_TIMEOUT);
  }

  /**
   * Registers a JVM shutdown hook (run on SIGTERM) that calls {@link #shutdown(Duration)}.
   *
   * @return the hook, for {@link Runtime#removeShutdownHook(Thread)}
   */
  public Thread registerShutdownHook(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    Thread hook = new Thread(() -> shutdown(timeout), "servo-telemetry-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  /** {@link #registerShutdownHook(Duration)} with {@link #DEFAULT_SHUTDOWN_TIMEOUT}. */
  public Thread registerShutdownHook() {
    return registerShutdownHook(DEFAULT_SHUTDOWN_TIMEOUT);
  }

  /**
   * Spans lost so far: dropped because an exporter's queue was full (queue overflow), or in an export
   * that failed (the backend refused it, for example with HTTP 500 or 400, could not be reached, or
   * did not answer in time).
   */
  public long droppedSpans() {
    return sdk == null ? 0 : droppedSpans.count();
  }

  /** The part of {@link #droppedSpans()} lost to queue overflow. */
  long droppedSpansQueueFull() {
    return sdk == null ? 0 : droppedSpans.queueFull();
  }

  /** The part of {@link #droppedSpans()} lost in failed exports. */
  long droppedSpansFailedExport() {
    return sdk == null ? 0 : droppedSpans.failedExport();
  }

  /** Spans waiting to be exported right now (bounded by the queue size of each exporter). */
  long queuedSpans() {
    return sdk == null ? 0 : ledgers.stream().mapToLong(ExportLedger::inFlight).sum();
  }

  /**
   * Wraps a DataSource so that every statement gets a CLIENT span with sanitized SQL (literal
   * values replaced by {@code ?}). See {@link JdbcTracing#wrapDataSource(OpenTelemetry, DataSource)}.
   */
  public DataSource wrapDataSource(DataSource dataSource) {
    return JdbcTracing.wrapDataSource(openTelemetry, dataSource);
  }

  @Override
  public String toString() {
    return "ServoTelemetry{" + config + "}";
  }

  /** Options of {@link ServoTelemetry}; not thread-safe. */
  public static final class Builder {

    private final TracingConfig config;
    private final String serviceName;
    private final List<SpanExporter> extraExporters = new ArrayList<>();
    private String serviceVersion;
    private GoogleCredentials googleCredentials;
    private PrintStream stdout = System.out;
    private URI metadataServer = CloudTraceAuth.METADATA_SERVER;
    private boolean detectGcpResource = true;
    private Clock clock = Clock.systemUTC();
    private IdGenerator idGenerator = IdGenerator.random();

    private Builder(TracingConfig config, String serviceName) {
      this.config = config;
      this.serviceName = serviceName;
    }

    /**
     * Also sends every span, redacted, to {@code exporter} (through its own bounded batch queue,
     * so call {@link ServoTelemetry#forceFlush(Duration)} before reading what it collected). Used by
     * tests ({@code InMemorySpanExporter}) and by {@code servo demo} for its waterfall.
     */
    public Builder addSpanExporter(SpanExporter exporter) {
      extraExporters.add(Objects.requireNonNull(exporter, "exporter"));
      return this;
    }

    /** The {@code service.version} resource attribute; by default the jar's version. */
    public Builder serviceVersion(String version) {
      this.serviceVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * The credentials for the {@code cloudtrace} exporter instead of Application Default
     * Credentials; they are scoped to cloud-platform and refreshed as they expire.
     */
    public Builder googleCredentials(GoogleCredentials credentials) {
      this.googleCredentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * Where trace and span ids come from; by default the SDK's random generator. A test passes a
     * seeded one so that head sampling, which reads the trace id, samples a known set.
     */
    public Builder idGenerator(IdGenerator generator) {
      this.idGenerator = Objects.requireNonNull(generator, "generator");
      return this;
    }

    Builder stdout(PrintStream out) {
      this.stdout = out;
      return this;
    }

    Builder metadataServer(URI uri) {
      this.metadataServer = uri;
      return this;
    }

    Builder detectGcpResource(boolean detect) {
      this.detectGcpResource = detect;
      return this;
    }

    /** The clock of drop reports and of the keep cap's minute (tests freeze it). */
    public Builder clock(Clock value) {
      this.clock = value;
      return this;
    }

    /**
     * Starts the SDK, or returns a no-op instance when tracing is disabled.
     *
     * @throws io.servo.settings.SettingsException when the exporter cannot be set up
     */
    public ServoTelemetry start() {
      SdkLogBridge.install();
      Redactor redactor = Redactor.create(config.extraRedactKeys());
      if (!config.enabled()) {
        return new ServoTelemetry(config, OpenTelemetry.noop(), null, null, List.of(), redactor,
            TraceLinks.create(config));
      }
      CloudTraceAuth auth = config.exporter() == TraceExporter.CLOUDTRACE
          ? CloudTraceAuth.create(config, googleCredentials, metadataServer)
          : null;
      Resource resource = ServiceResource.create(config, serviceName, serviceVersion,
          auth == null ? null : auth.projectId(), detectGcpResource);
      Optional<String> project = ServiceResource.project(config, auth == null ? null : auth.projectId(), resource);
      // On Cloud Run the project is known only once detected: the JSON log lines' trace field needs it.
      project.ifPresent(io.servo.telemetry.logging.ServoLogging::useProject);

      List<SpanExporter> exporters = new ArrayList<>();
      SpanExporters.create(config, auth, stdout).ifPresent(exporters::add);
      String endpoint = config.tracesEndpoint().map(u -> redactor.redact(u.toString())).orElse("-");
      String destination = exporters.isEmpty() ? "in-process exporters"
          : config.exporter() == TraceExporter.STDOUT ? "stdout"
          : config.exporter().id() + " " + endpoint;
      exporters.addAll(extraExporters);
      DroppedSpans droppedSpans = new DroppedSpans(clock,
          String.valueOf(resource.getAttribute(ServiceResource.SERVICE_NAME)), destination);

      SdkTracerProviderBuilder tracerProvider = SdkTracerProvider.builder()
          .setResource(resource)
          .setIdGenerator(idGenerator)
          .setSampler(sampler(config));
      List<ExportLedger> ledgers = new ArrayList<>();
      List<SpanProcessor> exportProcessors = new ArrayList<>();
      for (SpanExporter exporter : exporters) {
        ExportLedger ledger = new ExportLedger(config.maxQueueSize(), droppedSpans);
        ledgers.add(ledger);
        SpanExporter chain = new DropReportingSpanExporter(
            RedactingSpanExporter.create(exporter, redactor), droppedSpans, ledger);
        SpanProcessor processor = ledger.counting(BatchSpanProcessor.builder(chain)
            .setMaxQueueSize(config.maxQueueSize())
            .setMaxExportBatchSize(config.maxExportBatchSize())
            .setScheduleDelay(config.scheduleDelay())
            .setExporterTimeout(config.exportTimeout())
            .build());
        exportProcessors.add(processor);
        tracerProvider.addSpanProcessor(processor);
      }
      if (exporters.isEmpty()) {
        // Without any processor the SDK hands out invalid span contexts; logs and propagation
        // still need real ids.
        tracerProvider.addSpanProcessor(new IdsOnlySpanProcessor());
      }
      SdkTracerProvider sdk = tracerProvider.build();
      String service = String.valueOf(resource.getAttribute(ServiceResource.SERVICE_NAME));
      OpenTelemetry openTelemetry = new TracingOnly(sdk, propagators(config),
          SpanTakeover.create(exportProcessors, resource),
          TraceKeep.create(config.keep(), exportProcessors, resource, idGenerator, clock, service,
              redactor));
      // "exporter=none" alone read as "traces go nowhere" where servo dev keeps them in memory.
      String exportsTo = config.exporter().id()
          + (extraExporters.isEmpty() ? "" : " (and " + extraExporters.size() + " in-process)");
      log.info("Tracing on: service={}, exporter={}, endpoint={}, sampler={}, propagators={}, keep={}",
          resource.getAttribute(ServiceResource.SERVICE_NAME), exportsTo, endpoint,
          config.samplerDescription(), config.propagatorIds(), config.keep().description());
      TraceLinks traceLinks = TraceLinks.create(config, project);
      return new ServoTelemetry(config, openTelemetry, sdk, droppedSpans, List.copyOf(ledgers),
          redactor, traceLinks);
    }
  }

  /**
   * The SDK's own samplers, as {@code OTEL_TRACES_SAMPLER} names them. Servo's default, {@code
   * parentbased_traceidratio}, decides once at the root; the others are there because operators
   * ask for them by their standard names.
   */
  static Sampler sampler(TracingConfig config) {
    switch (config.sampler()) {
      case ALWAYS_ON:
        return Sampler.alwaysOn();
      case ALWAYS_OFF:
        return Sampler.alwaysOff();
      case TRACEIDRATIO:
        return Sampler.traceIdRatioBased(config.sampleRate());
      case PARENTBASED_ALWAYS_ON:
        return Sampler.parentBased(Sampler.alwaysOn());
      case PARENTBASED_ALWAYS_OFF:
        return Sampler.parentBased(Sampler.alwaysOff());
      case PARENTBASED_TRACEIDRATIO:
      default:
        return Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRate()));
    }
  }

  /**
   * {@code OTEL_PROPAGATORS}: {@code tracecontext} is Servo's own Trace Context propagator (not the
   * SDK's), {@code baggage} the W3C one, none at all a propagator that reads and writes nothing.
   */
  static ContextPropagators propagators(TracingConfig config) {
    if (config.propagators().isEmpty()) {
      return ContextPropagators.noop();
    }
    List<TextMapPropagator> propagators = new ArrayList<>();
    for (TracePropagator propagator : config.propagators()) {
      propagators.add(propagator == TracePropagator.TRACECONTEXT
          ? ServoTraceContextPropagator.getInstance()
          : W3CBaggagePropagator.getInstance());
    }
    return ContextPropagators.create(TextMapPropagator.composite(propagators));
  }

  /**
   * What instrumentation gets: the tracer provider and the propagators. Metrics and logs are the
   * API's no-ops; {@code OpenTelemetrySdk} would start a meter and a logger provider per service
   * that nothing reads (about 25 ms of start-up).
   */
  private record TracingOnly(TracerProvider tracerProvider, ContextPropagators propagators,
      SpanTakeover takeover, TraceKeep traceKeep) implements OpenTelemetry, TraceKeep.KeepHolder {
    @Override
    public TracerProvider getTracerProvider() {
      return tracerProvider;
    }

    @Override
    public ContextPropagators getPropagators() {
      return propagators;
    }
  }

  /** {@link SpanTakeover#of(OpenTelemetry)}: the takeover rides on the instance the service hands out. */
  static SpanTakeover takeoverOf(OpenTelemetry openTelemetry) {
    return openTelemetry instanceof TracingOnly tracing ? tracing.takeover() : SpanTakeover.NONE;
  }

  /** Keeps the SDK recording ids when no exporter is configured. */
  private static final class IdsOnlySpanProcessor implements SpanProcessor {
    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }
  }

}
