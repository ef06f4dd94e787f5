package io.servo.telemetry.config;

import io.servo.telemetry.redaction.Redactor;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Parses and validates the tracing variables. Blank values count as unset. */
final class EnvironmentReader {

  private static final String TRACES_PATH = "/v1/traces";
  private static final int MAX_ECHO = 120;
  private static final String TRACE_ID_PLACEHOLDER = "{trace_id}";

  private final Map<String, String> env;

  private EnvironmentReader(Map<String, String> env) {
    this.env = env;
  }

  static TracingConfig read(Map<String, String> env) {
    return new EnvironmentReader(env).read();
  }

  private TracingConfig read() {
    DeploymentEnvironment environment = readEnvironment();
    Sampling sampling = readSampling(environment);
    TraceExporter servoExporter = readExporter("SERVO_TRACE_EXPORTER");
    TraceExporter otelExporter = readExporter("OTEL_TRACES_EXPORTER");
    TraceExporter exporter = servoExporter != null ? servoExporter
        : otelExporter != null ? otelExporter : TraceExporter.CLOUDTRACE;
    Boolean enabled = readEnabled(otelExporter);
    Optional<URI> endpoint = readEndpoint(exporter);
    List<TracePropagator> propagators = readPropagators();
    boolean onCloudRun = get("K_SERVICE") != null;
    boolean gcpServerless = onCloudRun || get("K_CONFIGURATION") != null
        || get("CLOUD_RUN_JOB") != null || get("FUNCTION_TARGET") != null
        || get("GAE_SERVICE") != null;
    LogFormat logFormat = readLogFormat(onCloudRun);
    boolean flushOnResponse = bool("SERVO_TRACE_FLUSH_ON_RESPONSE", onCloudRun);
    Map<String, String> resourceAttributes = keyValueList("OTEL_RESOURCE_ATTRIBUTES", true);
    Optional<String> serviceName = Optional.ofNullable(get("OTEL_SERVICE_NAME"))
        .or(() -> Optional.ofNullable(resourceAttributes.get("service.name")));
    Map<String, String> headers = new LinkedHashMap<>(
        keyValueList("OTEL_EXPORTER_OTLP_HEADERS", false));
    headers.putAll(keyValueList("OTEL_EXPORTER_OTLP_TRACES_HEADERS", false));
    readProtocol();
    Duration exportTimeout = get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") != null
        ? millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", 10_000)
        : millis("OTEL_EXPORTER_OTLP_TIMEOUT", 10_000);
    int maxQueueSize = positiveInt("OTEL_BSP_MAX_QUEUE_SIZE", 2048);
    int maxBatch = Math.min(positiveInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512), maxQueueSize);
    Duration scheduleDelay = millis("OTEL_BSP_SCHEDULE_DELAY", 2_000);
    return new TracingConfig(environment, enabled != null && enabled, enabled != null,
        sampling.sampler(), sampling.rate(), sampling.explicit(), exporter,
        servoExporter != null || otelExporter != null, endpoint, propagators,
        Optional.ofNullable(get("GCP_PROJECT_ID")), readRedactKeys(), logFormat,
        flushOnResponse, onCloudRun, gcpServerless, serviceName, resourceAttributes, headers,
        exportTimeout, maxQueueSize, maxBatch, scheduleDelay, readTraceUiUrl(),
        readStdoutFormat(logFormat));
  }

  private DeploymentEnvironment readEnvironment() {
    String value = get("SERVO_ENVIRONMENT");
    if (value == null) {
      return DeploymentEnvironment.DEVELOPMENT;
    }
    for (DeploymentEnvironment e : DeploymentEnvironment.values()) {
      if (e.id().equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw invalid("SERVO_ENVIRONMENT", value, "is not one of production, staging, development");
  }

  /**
   * Whether tracing is on, or null when no variable decides it. {@code SERVO_TRACE_ENABLED} wins;
   * then {@code OTEL_SDK_DISABLED=true} turns it off and an exporter named by {@code
   * OTEL_TRACES_EXPORTER} turns it on, as they would in any OpenTelemetry program.
   */
  private Boolean readEnabled(TraceExporter otelExporter) {
    Boolean servo = optionalBool("SERVO_TRACE_ENABLED");
    Boolean sdkDisabled = optionalBool("OTEL_SDK_DISABLED");
    if (servo != null) {
      return servo;
    }
    if (Boolean.TRUE.equals(sdkDisabled)) {
      return false;
    }
    if (otelExporter != null && otelExporter != TraceExporter.NONE) {
      return true;
    }
    return null;
  }

  private record Sampling(TraceSampler sampler, double rate, boolean explicit) {}

  /**
   * {@code SERVO_TRACE_SAMPLE_RATE} (Servo's parent-based ratio sampler) wins over {@code
   * OTEL_TRACES_SAMPLER}; both are checked whichever is used.
   */
  private Sampling readSampling(DeploymentEnvironment environment) {
    String servoRate = get("SERVO_TRACE_SAMPLE_RATE");
    Double servo = servoRate == null ? null : rate("SERVO_TRACE_SAMPLE_RATE", servoRate);
    TraceSampler otel = readSampler();
    String arg = get("OTEL_TRACES_SAMPLER_ARG");
    // The argument only means something to a ratio sampler (OpenTelemetry ignores it otherwise);
    // alone, it is the ratio of Servo's default sampler, which is one.
    Double ratio = arg != null && (otel == null || otel.usesRatio())
        ? rate("OTEL_TRACES_SAMPLER_ARG", arg) : null;
    if (servo != null) {
      return new Sampling(TraceSampler.PARENTBASED_TRACEIDRATIO, servo, true);
    }
    if (otel != null) {
      // The specification's default ratio is 1.0, not the environment's default rate.
      return new Sampling(otel, otel.rootRate(ratio == null ? 1.0 : ratio), true);
    }
    if (ratio != null) {
      return new Sampling(TraceSampler.PARENTBASED_TRACEIDRATIO, ratio, true);
    }
    return new Sampling(TraceSampler.PARENTBASED_TRACEIDRATIO, environment.defaultSampleRate(),
        false);
  }

  private TraceSampler readSampler() {
    String value = get("OTEL_TRACES_SAMPLER");
    if (value == null) {
      return null;
    }
    for (TraceSampler s : TraceSampler.values()) {
      if (s.id().equalsIgnoreCase(value)) {
        return s;
      }
    }
    throw invalid("OTEL_TRACES_SAMPLER", value, "is not one of always_on, always_off, traceidratio,"
        + " parentbased_always_on, parentbased_always_off, parentbased_traceidratio");
  }

  /** {@code OTEL_PROPAGATORS}: a list of tracecontext and baggage, or none; unset means both. */
  private List<TracePropagator> readPropagators() {
    String value = get("OTEL_PROPAGATORS");
    if (value == null) {
      return List.of(TracePropagator.TRACECONTEXT, TracePropagator.BAGGAGE);
    }
    String accepted = "is not a comma-separated list of tracecontext, baggage (or none alone)";
    Set<TracePropagator> propagators = new LinkedHashSet<>();
    boolean none = false;
    for (String entry : value.split(",")) {
      String id = entry.trim();
      if (id.isEmpty()) {
        continue;
      }
      if (id.equalsIgnoreCase("none")) {
        none = true;
        continue;
      }
      TracePropagator found = null;
      for (TracePropagator p : TracePropagator.values()) {
        if (p.id().equalsIgnoreCase(id)) {
          found = p;
        }
      }
      if (found == null) {
        throw invalid("OTEL_PROPAGATORS", value, accepted + ": " + quote(id) + " is not supported");
      }
      propagators.add(found);
    }
    if (none && !propagators.isEmpty()) {
      throw invalid("OTEL_PROPAGATORS", value, accepted + ": none cannot be combined with others");
    }
    return List.copyOf(propagators);
  }

  private double rate(String variable, String value) {
    double rate;
    try {
      rate = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      rate = Double.NaN;
    }
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw invalid(variable, value, "is not a number between 0.0 and 1.0 (for example 0.01 for 1%)");
    }
    return rate;
  }

  /** The exporter {@code variable} names, or null when it is unset. */
  private TraceExporter readExporter(String variable) {
    String value = get(variable);
    if (value == null) {
      return null;
    }
    String id = value.toLowerCase(Locale.ROOT);
    if (variable.startsWith("OTEL_")) {
      // The standard names for the same exporters.
      if (id.equals("console") || id.equals("logging")) {
        return TraceExporter.STDOUT;
      }
      if (id.equals("otlp")) {
        return TraceExporter.OTLP;
      }
      if (id.equals("none")) {
        return TraceExporter.NONE;
      }
      throw invalid(variable, value,
          "is not one of otlp, console, logging, none (set SERVO_TRACE_EXPORTER for cloudtrace or jaeger)");
    }
    for (TraceExporter e : TraceExporter.values()) {
      if (e.id().equals(id)) {
        return e;
      }
    }
    throw invalid(variable, value, "is not one of cloudtrace, jaeger, otlp, stdout, none");
  }

  private Optional<URI> readEndpoint(TraceExporter exporter) {
    String servo = get("SERVO_TRACE_ENDPOINT");
    URI endpoint = null;
    if (servo != null) {
      endpoint = url("SERVO_TRACE_ENDPOINT", servo, true);
    }
    boolean otlpReceiver = exporter == TraceExporter.OTLP || exporter == TraceExporter.JAEGER;
    String tracesEndpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    String baseEndpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
    URI otelTraces = tracesEndpoint == null
        ? null : url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint, false);
    URI otelBase = baseEndpoint == null
        ? null : url("OTEL_EXPORTER_OTLP_ENDPOINT", baseEndpoint, false);
    if (!exporter.usesEndpoint()) {
      return Optional.empty();
    }
    if (endpoint == null && otlpReceiver) {
      if (otelTraces != null) {
        endpoint = otelTraces;
      } else if (otelBase != null) {
        String path = otelBase.getRawPath() == null ? "" : otelBase.getRawPath();
        endpoint = otelBase.resolve(stripTrailingSlash(path) + TRACES_PATH);
      }
    }
    if (endpoint == null) {
      endpoint = withTracesPath(exporter.defaultEndpoint().orElseThrow());
    }
    return Optional.of(endpoint);
  }

  /** Appends /v1/traces to an endpoint that has no path. */
  static URI withTracesPath(String endpoint) {
    URI uri = URI.create(endpoint);
    return withTracesPath(uri);
  }

  private static URI withTracesPath(URI uri) {
    String path = uri.getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return uri.resolve(TRACES_PATH);
    }
    return uri;
  }

  private URI url(String variable, String value, boolean appendTracesPath) {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw invalid(variable, value, "is not an http:// or https:// URL with a host (for example http://localhost:4318)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw invalid(variable, value, "is not an http:// or https:// URL with a host (for example http://localhost:4318)");
    }
    return appendTracesPath ? withTracesPath(uri) : uri;
  }

  private static String stripTrailingSlash(String path) {
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** {@code SERVO_TRACE_UI_URL}: a template such as http://localhost:16686/trace/{trace_id}. */
  private Optional<String> readTraceUiUrl() {
    String value = get("SERVO_TRACE_UI_URL");
    if (value == null) {
      return Optional.empty();
    }
    String problem = "is not an http:// or https:// URL with a host that contains {trace_id}"
        + " (for example http://localhost:16686/trace/{trace_id})";
    if (!value.contains(TRACE_ID_PLACEHOLDER)) {
      throw invalid("SERVO_TRACE_UI_URL", value, problem);
    }
    URI uri;
    try {
      uri = new URI(value.replace(TRACE_ID_PLACEHOLDER, "0af7651916cd43dd8448eb211c80319c"));
    } catch (URISyntaxException e) {
      throw invalid("SERVO_TRACE_UI_URL", value, problem);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      throw invalid("SERVO_TRACE_UI_URL", value, problem);
    }
    return Optional.of(value);
  }

  private LogFormat readLogFormat(boolean onCloudRun) {
    String value = get("SERVO_LOG_FORMAT");
    if (value == null) {
      return onCloudRun ? LogFormat.JSON : LogFormat.TEXT;
    }
    for (LogFormat f : LogFormat.values()) {
      if (f.id().equalsIgnoreCase(value)) {
        return f;
      }
    }
    throw invalid("SERVO_LOG_FORMAT", value, "is not one of text, json");
  }

  private StdoutSpanFormat readStdoutFormat(LogFormat logFormat) {
    String value = get("SERVO_TRACE_STDOUT_FORMAT");
    if (value == null) {
      return logFormat == LogFormat.JSON ? StdoutSpanFormat.OTLP_JSON : StdoutSpanFormat.TEXT;
    }
    for (StdoutSpanFormat f : StdoutSpanFormat.values()) {
      if (f.id().equalsIgnoreCase(value)) {
        return f;
      }
    }
    throw invalid("SERVO_TRACE_STDOUT_FORMAT", value, "is not one of text, otlp-json");
  }

  private void readProtocol() {
    String variable = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") != null
        ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
    String value = get(variable);
    if (value != null && !value.equals("http/protobuf")) {
      throw invalid(variable, value, "is not http/protobuf, the only OTLP protocol Servo sends");
    }
  }

  private List<String> readRedactKeys() {
    String value = get("SERVO_TRACE_REDACT_KEYS");
    List<String> keys = new ArrayList<>();
    if (value != null) {
      for (String key : value.split(",")) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        if (!k.isEmpty()) {
          keys.add(k);
        }
      }
    }
    return keys;
  }

  /**
   * Parses the W3C-baggage-like {@code key=value,key=value} list of the OTEL_* variables. Values
   * are percent-decoded. Header values are never echoed: they usually carry credentials.
   */
  private Map<String, String> keyValueList(String variable, boolean echoValue) {
    String value = get(variable);
    Map<String, String> result = new LinkedHashMap<>();
    if (value == null) {
      return result;
    }
    String[] entries = value.split(",");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      if (entry.isEmpty()) {
        continue;
      }
      int eq = entry.indexOf('=');
      String key = eq < 0 ? "" : entry.substring(0, eq).trim();
      if (key.isEmpty()) {
        throw keyValueError(variable, value, echoValue, i + 1);
      }
      String raw = entry.substring(eq + 1).trim();
      try {
        result.put(key, URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw keyValueError(variable, value, echoValue, i + 1);
      }
    }
    return result;
  }

  private static TracingConfigException keyValueError(
      String variable, String value, boolean echoValue, int entry) {
    String shown = echoValue ? variable + "=" + quote(value) : variable;
    return new TracingConfigException(variable, shown
        + " is not a comma-separated list of key=value pairs (for example key1=value1,key2=value2):"
        + " entry " + entry + " is malformed"
        + (echoValue ? "" : " (the value is not shown because it may hold credentials)"));
  }

  private boolean bool(String variable, boolean defaultValue) {
    Boolean value = optionalBool(variable);
    return value == null ? defaultValue : value;
  }

  private Boolean optionalBool(String variable) {
    String value = get(variable);
    if (value == null) {
      return null;
    }
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw invalid(variable, value, "is not true or false");
  }

  private int positiveInt(String variable, int defaultValue) {
    String value = get(variable);
    if (value == null) {
      return defaultValue;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(variable, value, "is not a positive whole number");
  }

  private Duration millis(String variable, int defaultMillis) {
    String value = get(variable);
    if (value == null) {
      return Duration.ofMillis(defaultMillis);
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed > 0) {
        return Duration.ofMillis(parsed);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(variable, value, "is not a positive number of milliseconds (for example 10000)");
  }

  private String get(String name) {
    String value = env.get(name);
    if (value == null) {
      return null;
    }
    String trimmed = value.trim();
    return trimmed.isEmpty() ? null : trimmed;
  }

  private static TracingConfigException invalid(String variable, String value, String problem) {
    return new TracingConfigException(variable, variable + "=" + quote(value) + " " + problem);
  }

  /** Quotes a value for a message: without secrets, on one line, without flooding the log. */
  private static String quote(String value) {
    return "\"" + Redactor.defaults().quote(value, MAX_ECHO) + "\"";
  }
}
