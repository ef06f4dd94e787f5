package io.servo.telemetry.config;

import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.QuotedValue;
import io.servo.settings.SettingsException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Tracing and log settings of one Servo process, read once at start-up from the environment.
 *
 * <p>Build it with {@link #fromEnvironment()} in services and {@link #from(Map)} in tests. Every
 * value is validated eagerly: an unusable value throws {@link SettingsException} naming every
 * unusable variable and what it accepts. Where a {@code SERVO_*} variable and a standard {@code OTEL_*}
 * variable set the same thing, the {@code SERVO_*} one wins.
 *
 * @param environment {@code SERVO_ENVIRONMENT}
 * @param enabled {@code SERVO_TRACE_ENABLED}, else off with {@code OTEL_SDK_DISABLED=true}, else on
 *     when {@code OTEL_TRACES_EXPORTER} names an exporter other than none
 * @param enabledExplicit whether one of those variables decided {@code enabled}
 * @param sampler the head sampler: {@link TraceSampler#PARENTBASED_TRACEIDRATIO} with {@code
 *     SERVO_TRACE_SAMPLE_RATE}, else {@code OTEL_TRACES_SAMPLER}, else parentbased_traceidratio
 * @param sampleRate the sampler's ratio: {@code SERVO_TRACE_SAMPLE_RATE}, else {@code
 *     OTEL_TRACES_SAMPLER_ARG} (1.0 when a ratio sampler is named without it), else the
 *     environment's default; 1.0 or 0.0 for the always_on and always_off samplers
 * @param samplerExplicit whether the sampler or rate was chosen by a variable rather than defaulted
 * @param exporter {@code SERVO_TRACE_EXPORTER} (or {@code OTEL_TRACES_EXPORTER})
 * @param exporterExplicit whether the exporter was chosen by a variable rather than defaulted
 * @param tracesEndpoint full URL spans are POSTed to (…/v1/traces); empty for stdout and none
 * @param propagators {@code OTEL_PROPAGATORS}, by default tracecontext and baggage; empty for none
 * @param gcpProjectId {@code GCP_PROJECT_ID}; when empty it is detected for Cloud Trace
 * @param extraRedactKeys {@code SERVO_TRACE_REDACT_KEYS}, lower-cased
 * @param logFormat {@code SERVO_LOG_FORMAT}; json by default on Cloud Run
 * @param flushOnResponse {@code SERVO_TRACE_FLUSH_ON_RESPONSE}; true by default on Cloud Run
 * @param onCloudRun whether {@code K_SERVICE} is set
 * @param gcpServerless whether a Google serverless platform's variables are present, which is
 *     when GCP resource detection runs
 * @param serviceNameOverride {@code OTEL_SERVICE_NAME}, or {@code service.name} from {@code
 *     OTEL_RESOURCE_ATTRIBUTES}
 * @param resourceAttributes {@code OTEL_RESOURCE_ATTRIBUTES}
 * @param otlpHeaders {@code OTEL_EXPORTER_OTLP_HEADERS} merged with {@code
 *     OTEL_EXPORTER_OTLP_TRACES_HEADERS}; never printed
 * @param exportTimeout bound of one export call ({@code OTEL_EXPORTER_OTLP_TIMEOUT}, default 10 s)
 * @param maxQueueSize spans buffered before dropping ({@code OTEL_BSP_MAX_QUEUE_SIZE}, default 2048)
 * @param maxExportBatchSize spans per export ({@code OTEL_BSP_MAX_EXPORT_BATCH_SIZE}, default 512)
 * @param scheduleDelay delay between exports ({@code OTEL_BSP_SCHEDULE_DELAY}, default 2 s)
 * @param traceUiUrl {@code SERVO_TRACE_UI_URL}: an http(s) URL template containing {@code
 *     {trace_id}}, for links to a trace (see {@code io.servo.telemetry.view.TraceLinks})
 * @param stdoutFormat {@code SERVO_TRACE_STDOUT_FORMAT}: how the stdout exporter writes spans; by
 *     default text with text logs and OTLP/JSON lines with JSON logs, so stdout stays one format
 * @param keep {@code SERVO_TRACE_KEEP} and its bounds: which unsampled executions are exported whole
 */
public record TracingConfig(
    DeploymentEnvironment environment,
    boolean enabled,
    boolean enabledExplicit,
    TraceSampler sampler,
    double sampleRate,
    boolean samplerExplicit,
    TraceExporter exporter,
    boolean exporterExplicit,
    Optional<URI> tracesEndpoint,
    List<TracePropagator> propagators,
    Optional<String> gcpProjectId,
    List<String> extraRedactKeys,
    LogFormat logFormat,
    boolean flushOnResponse,
    boolean onCloudRun,
    boolean gcpServerless,
    Optional<String> serviceNameOverride,
    Map<String, String> resourceAttributes,
    Map<String, String> otlpHeaders,
    Duration exportTimeout,
    int maxQueueSize,
    int maxExportBatchSize,
    Duration scheduleDelay,
    Optional<String> traceUiUrl,
    StdoutSpanFormat stdoutFormat,
    TraceKeepConfig keep) {

  /** Validates the components; programmatic changes go through the {@code with…} methods. */
  public TracingConfig {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(sampler, "sampler");
    Objects.requireNonNull(exporter, "exporter");
    Objects.requireNonNull(tracesEndpoint, "tracesEndpoint");
    Objects.requireNonNull(gcpProjectId, "gcpProjectId");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(serviceNameOverride, "serviceNameOverride");
    Objects.requireNonNull(exportTimeout, "exportTimeout");
    Objects.requireNonNull(scheduleDelay, "scheduleDelay");
    Objects.requireNonNull(traceUiUrl, "traceUiUrl");
    Objects.requireNonNull(stdoutFormat, "stdoutFormat");
    Objects.requireNonNull(keep, "keep");
    if (!(sampleRate >= 0.0 && sampleRate <= 1.0)) {
      throw new IllegalArgumentException("sampleRate must be between 0.0 and 1.0, was " + sampleRate);
    }
    if (sampler.rootRate(sampleRate) != sampleRate) {
      throw new IllegalArgumentException("sampler " + sampler.id() + " has rate "
          + sampler.rootRate(sampleRate) + ", not " + sampleRate);
    }
    if (maxQueueSize < 1 || maxExportBatchSize < 1) {
      throw new IllegalArgumentException("maxQueueSize and maxExportBatchSize must be positive");
    }
    if (exporter.usesEndpoint() && tracesEndpoint.isEmpty()) {
      throw new IllegalArgumentException("exporter " + exporter.id() + " needs an endpoint");
    }
    propagators = List.copyOf(propagators);
    extraRedactKeys = List.copyOf(extraRedactKeys);
    resourceAttributes = Map.copyOf(resourceAttributes);
    otlpHeaders = Map.copyOf(otlpHeaders);
  }

  /** Reads the process environment ({@link System#getenv()}). */
  public static TracingConfig fromEnvironment() {
    return from(System.getenv());
  }

  /**
   * Reads the given variables, as if they were the process environment.
   *
   * @throws SettingsException listing every value that cannot be used
   */
  public static TracingConfig from(Map<String, String> env) {
    return EnvironmentReader.read(Objects.requireNonNull(env, "env"));
  }

  /** This configuration with tracing turned on or off. */
  public TracingConfig withEnabled(boolean value) {
    return new TracingConfig(environment, value, true, sampler, sampleRate, samplerExplicit,
        exporter, exporterExplicit, tracesEndpoint, propagators, gcpProjectId, extraRedactKeys,
        logFormat, flushOnResponse, onCloudRun, gcpServerless, serviceNameOverride,
        resourceAttributes, otlpHeaders, exportTimeout, maxQueueSize, maxExportBatchSize,
        scheduleDelay, traceUiUrl, stdoutFormat, keep);
  }

  /**
   * This configuration with Servo's sampler, {@link TraceSampler#PARENTBASED_TRACEIDRATIO}, at
   * another root sampling probability (0.0–1.0).
   */
  public TracingConfig withSampleRate(double value) {
    return new TracingConfig(environment, enabled, enabledExplicit,
        TraceSampler.PARENTBASED_TRACEIDRATIO, value, true, exporter, exporterExplicit,
        tracesEndpoint, propagators, gcpProjectId, extraRedactKeys, logFormat, flushOnResponse,
        onCloudRun, gcpServerless, serviceNameOverride, resourceAttributes, otlpHeaders,
        exportTimeout, maxQueueSize, maxExportBatchSize, scheduleDelay, traceUiUrl, stdoutFormat, keep);
  }

  /**
   * This configuration with another exporter, sending to that exporter's default endpoint unless
   * this configuration already targets the same kind of receiver.
   */
  public TracingConfig withExporter(TraceExporter value) {
    Optional<URI> endpoint = value.usesEndpoint() && exporter.usesEndpoint() && value == exporter
        ? tracesEndpoint
        : value.defaultEndpoint().map(EnvironmentReader::withTracesPath);
    return new TracingConfig(environment, enabled, enabledExplicit, sampler, sampleRate,
        samplerExplicit, value, true, endpoint, propagators, gcpProjectId, extraRedactKeys,
        logFormat, flushOnResponse, onCloudRun, gcpServerless, serviceNameOverride,
        resourceAttributes, otlpHeaders, exportTimeout, maxQueueSize, maxExportBatchSize,
        scheduleDelay, traceUiUrl, stdoutFormat, keep);
  }

  /** This configuration with another maximum number of queued spans. */
  public TracingConfig withMaxQueueSize(int value) {
    return new TracingConfig(environment, enabled, enabledExplicit, sampler, sampleRate,
        samplerExplicit, exporter, exporterExplicit, tracesEndpoint, propagators, gcpProjectId,
        extraRedactKeys, logFormat, flushOnResponse, onCloudRun, gcpServerless,
        serviceNameOverride, resourceAttributes, otlpHeaders, exportTimeout, value,
        Math.min(maxExportBatchSize, value), scheduleDelay, traceUiUrl, stdoutFormat, keep);
  }

  /** This configuration with other retroactive keep settings. */
  public TracingConfig withKeep(TraceKeepConfig value) {
    return new TracingConfig(environment, enabled, enabledExplicit, sampler, sampleRate,
        samplerExplicit, exporter, exporterExplicit, tracesEndpoint, propagators, gcpProjectId,
        extraRedactKeys, logFormat, flushOnResponse, onCloudRun, gcpServerless,
        serviceNameOverride, resourceAttributes, otlpHeaders, exportTimeout, maxQueueSize,
        maxExportBatchSize, scheduleDelay, traceUiUrl, stdoutFormat, value);
  }

  /** The sampler as a person would name it: {@code parentbased_traceidratio 0.01}, {@code always_off}. */
  public String samplerDescription() {
    return sampler.usesRatio() ? sampler.id() + " " + sampleRate : sampler.id();
  }

  /** {@link #propagators()} as in {@code OTEL_PROPAGATORS}: {@code tracecontext,baggage}, or {@code none}. */
  public String propagatorIds() {
    return propagators.isEmpty() ? "none"
        : propagators.stream().map(TracePropagator::id).collect(Collectors.joining(","));
  }

  /** Never prints header values: they usually carry credentials. */
  @Override
  public String toString() {
    return "TracingConfig{environment=" + environment.id() + ", enabled=" + enabled
        + ", sampler=" + sampler.id() + ", sampleRate=" + sampleRate + ", exporter=" + exporter.id()
        + ", tracesEndpoint=" + tracesEndpoint.map(u -> QuotedValue.of(u.toString(), 300)).orElse("-")
        + ", propagators=" + propagatorIds() + ", gcpProjectId=" + gcpProjectId.orElse("-") + ", logFormat=" + logFormat.id() + ", stdoutFormat=" + stdoutFormat.id()
        + ", flushOnResponse=" + flushOnResponse + ", otlpHeaders=" + otlpHeaders.keySet()
        + ", traceUiUrl=" + traceUiUrl.map(u -> QuotedValue.of(u, 300)).orElse("-")
        + ", keep=" + keep.description() + "}";
  }
}
