package io.servo.telemetry.config;

import io.servo.settings.DeploymentEnvironment;
import io.servo.settings.Settings;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The tracing variables, read with {@link Settings}: every unusable one is reported at once. */
final class EnvironmentReader {

  private static final String TRACES_PATH = "/v1/traces";
  private static final String TRACE_ID_PLACEHOLDER = "{trace_id}";
  private static final String RATE = "a number from 0.0 to 1.0, e.g. 0.01 for 1%";
  private static final String ENDPOINT_EXAMPLE = "http://localhost:4318";
  /** The standard names of {@code OTEL_TRACES_EXPORTER} for the exporters Servo has. */
  private static final Map<String, TraceExporter> OTEL_EXPORTERS = otelExporters();

  private final Settings settings;

  private EnvironmentReader(Map<String, String> env) {
    this.settings = Settings.of(env, "tracing");
  }

  static TracingConfig read(Map<String, String> env) {
    return new EnvironmentReader(env).read();
  }

  private TracingConfig read() {
    DeploymentEnvironment environment = DeploymentEnvironment.from(settings);
    Sampling sampling = readSampling(environment);
    TraceExporter servoExporter = settings.choice("SERVO_TRACE_EXPORTER", TraceExporter.class, null);
    TraceExporter otelExporter = settings.value("OTEL_TRACES_EXPORTER", null, OTEL_EXPORTERS::get,
        "one of otlp, console, logging, none (set SERVO_TRACE_EXPORTER for cloudtrace or jaeger)");
    TraceExporter exporter = servoExporter != null ? servoExporter
        : otelExporter != null ? otelExporter : TraceExporter.CLOUDTRACE;
    Boolean enabled = readEnabled(otelExporter);
    Optional<URI> endpoint = readEndpoint(exporter);
    List<TracePropagator> propagators = readPropagators();
    boolean onCloudRun = settings.isSet("K_SERVICE");
    boolean gcpServerless = onCloudRun || settings.isSet("K_CONFIGURATION")
        || settings.isSet("CLOUD_RUN_JOB") || settings.isSet("FUNCTION_TARGET")
        || settings.isSet("GAE_SERVICE");
    LogFormat logFormat = settings.choice("SERVO_LOG_FORMAT", LogFormat.class,
        onCloudRun ? LogFormat.JSON : LogFormat.TEXT);
    boolean flushOnResponse = settings.bool("SERVO_TRACE_FLUSH_ON_RESPONSE", onCloudRun);
    Map<String, String> resourceAttributes = keyValueList("OTEL_RESOURCE_ATTRIBUTES", false);
    Optional<String> serviceName = settings.raw("OTEL_SERVICE_NAME")
        .or(() -> Optional.ofNullable(resourceAttributes.get("service.name")));
    Map<String, String> headers = new LinkedHashMap<>(keyValueList("OTEL_EXPORTER_OTLP_HEADERS", true));
    headers.putAll(keyValueList("OTEL_EXPORTER_OTLP_TRACES_HEADERS", true));
    String protocol = settings.isSet("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
    settings.value(protocol, null, v -> v.equals("http/protobuf") ? v : null,
        "http/protobuf, the only OTLP protocol Servo sends");
    Duration exportTimeout = settings.milliseconds("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        settings.milliseconds("OTEL_EXPORTER_OTLP_TIMEOUT", Duration.ofMillis(10_000)));
    int maxQueueSize = settings.integer("OTEL_BSP_MAX_QUEUE_SIZE", 2048, 1, Integer.MAX_VALUE);
    int maxBatch = Math.min(
        settings.integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512, 1, Integer.MAX_VALUE), maxQueueSize);
    Duration scheduleDelay = settings.milliseconds("OTEL_BSP_SCHEDULE_DELAY", Duration.ofMillis(2_000));
    List<String> redactKeys = settings.list("SERVO_TRACE_REDACT_KEYS", k -> k.toLowerCase(Locale.ROOT),
        "attribute keys separated by commas");
    Optional<String> traceUiUrl = Optional.ofNullable(settings.value("SERVO_TRACE_UI_URL", null,
        EnvironmentReader::traceUiUrl, "an http:// or https:// URL with a host that contains "
            + TRACE_ID_PLACEHOLDER + ", e.g. http://localhost:16686/trace/" + TRACE_ID_PLACEHOLDER));
    Map<String, StdoutSpanFormat> stdoutFormats = new LinkedHashMap<>();
    for (StdoutSpanFormat f : StdoutSpanFormat.values()) {
      stdoutFormats.put(f.id(), f);
    }
    StdoutSpanFormat stdoutFormat = settings.choice("SERVO_TRACE_STDOUT_FORMAT", stdoutFormats,
        logFormat == LogFormat.JSON ? StdoutSpanFormat.OTLP_JSON : StdoutSpanFormat.TEXT);
    TraceKeepConfig keep = TraceKeepConfig.read(settings);
    settings.check();
    return new TracingConfig(environment, enabled != null && enabled, enabled != null,
        sampling.sampler(), sampling.rate(), sampling.explicit(), exporter,
        servoExporter != null || otelExporter != null, endpoint, propagators,
        settings.raw("GCP_PROJECT_ID"), redactKeys, logFormat,
        flushOnResponse, onCloudRun, gcpServerless, serviceName, resourceAttributes, headers,
        exportTimeout, maxQueueSize, maxBatch, scheduleDelay, traceUiUrl, stdoutFormat, keep);
  }

  /**
   * Whether tracing is on, or null when no variable decides it. {@code SERVO_TRACE_ENABLED} wins;
   * then {@code OTEL_SDK_DISABLED=true} turns it off and an exporter named by {@code
   * OTEL_TRACES_EXPORTER} turns it on, as they would in any OpenTelemetry program.
   */
  private Boolean readEnabled(TraceExporter otelExporter) {
    Optional<Boolean> servo = settings.optionalBool("SERVO_TRACE_ENABLED");
    Optional<Boolean> sdkDisabled = settings.optionalBool("OTEL_SDK_DISABLED");
    if (servo.isPresent()) {
      return servo.get();
    }
    if (sdkDisabled.orElse(false)) {
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
    Double servo = settings.value("SERVO_TRACE_SAMPLE_RATE", null, EnvironmentReader::rate, RATE);
    TraceSampler otel = settings.choice("OTEL_TRACES_SAMPLER", TraceSampler.class, null);
    // The argument only means something to a ratio sampler (OpenTelemetry ignores it otherwise);
    // alone, it is the ratio of Servo's default sampler, which is one.
    Double ratio = otel == null || otel.usesRatio()
        ? settings.value("OTEL_TRACES_SAMPLER_ARG", null, EnvironmentReader::rate, RATE) : null;
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
    return new Sampling(TraceSampler.PARENTBASED_TRACEIDRATIO, defaultSampleRate(environment), false);
  }

  /** The root sampling probability when no variable sets one: 1% in production, all elsewhere. */
  static double defaultSampleRate(DeploymentEnvironment environment) {
    return environment == DeploymentEnvironment.PRODUCTION ? 0.01 : 1.0;
  }

  private static Double rate(String value) {
    double rate = Double.parseDouble(value);
    return rate >= 0.0 && rate <= 1.0 ? rate : null;
  }

  /** {@code OTEL_PROPAGATORS}: a list of tracecontext and baggage, or none; unset means both. */
  private List<TracePropagator> readPropagators() {
    if (!settings.isSet("OTEL_PROPAGATORS")) {
      return List.of(TracePropagator.TRACECONTEXT, TracePropagator.BAGGAGE);
    }
    Map<String, Optional<TracePropagator>> accepted = new LinkedHashMap<>();
    for (TracePropagator p : TracePropagator.values()) {
      accepted.put(p.id(), Optional.of(p));
    }
    accepted.put("none", Optional.empty());
    List<Optional<TracePropagator>> entries = settings.list("OTEL_PROPAGATORS",
        id -> accepted.get(id.toLowerCase(Locale.ROOT)), "one of tracecontext, baggage (or none alone)");
    Set<TracePropagator> propagators = new LinkedHashSet<>();
    entries.forEach(p -> p.ifPresent(propagators::add));
    if (entries.contains(Optional.<TracePropagator>empty()) && !propagators.isEmpty()) {
      settings.invalid("OTEL_PROPAGATORS", settings.raw("OTEL_PROPAGATORS").orElseThrow(),
          "tracecontext, baggage or both, or none alone: none cannot be combined with others");
    }
    return List.copyOf(propagators);
  }

  private Optional<URI> readEndpoint(TraceExporter exporter) {
    URI endpoint = settings.httpUrl("SERVO_TRACE_ENDPOINT", null, ENDPOINT_EXAMPLE);
    if (endpoint != null) {
      endpoint = withTracesPath(endpoint);
    }
    URI otelTraces = settings.httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", null, ENDPOINT_EXAMPLE);
    URI otelBase = settings.httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", null, ENDPOINT_EXAMPLE);
    if (!exporter.usesEndpoint()) {
      return Optional.empty();
    }
    boolean otlpReceiver = exporter == TraceExporter.OTLP || exporter == TraceExporter.JAEGER;
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
    return withTracesPath(URI.create(endpoint));
  }

  private static URI withTracesPath(URI uri) {
    String path = uri.getRawPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return uri.resolve(TRACES_PATH);
    }
    return uri;
  }

  private static String stripTrailingSlash(String path) {
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** {@code SERVO_TRACE_UI_URL}: a template such as http://localhost:16686/trace/{trace_id}. */
  private static String traceUiUrl(String value) {
    if (!value.contains(TRACE_ID_PLACEHOLDER)) {
      return null;
    }
    URI uri = URI.create(value.replace(TRACE_ID_PLACEHOLDER, "0af7651916cd43dd8448eb211c80319c"));
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null ? value : null;
  }

  /**
   * Parses the W3C-baggage-like {@code key=value,key=value} list of the OTEL_* variables. Values
   * are percent-decoded. A list of headers ({@code secret}) is a secret: its values usually carry
   * credentials. Its names must be HTTP field names (RFC 9110 tokens) and its values free of
   * control characters, or the exporter would fail on every request; a name is shown in {@link
   * TracingConfig#toString()}, so text that is no field name (a pasted credential, a line break)
   * never gets that far.
   */
  private Map<String, String> keyValueList(String variable, boolean secret) {
    Map<String, String> result = new LinkedHashMap<>();
    String value = settings.raw(variable).orElse(null);
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
      try {
        if (key.isEmpty()) {
          throw new IllegalArgumentException("no key");
        }
        String decoded = URLDecoder.decode(entry.substring(eq + 1).trim().replace("+", "%2B"),
            StandardCharsets.UTF_8);
        if (secret && !(isHttpToken(key) && hasNoControlCharacter(decoded))) {
          throw new IllegalArgumentException("not an HTTP header");
        }
        result.put(key, decoded);
      } catch (IllegalArgumentException e) {
        String expected = "a comma-separated list of key=value pairs (e.g. key1=value1,key2=value2),"
            + " percent-encoded" + (secret ? ", each key an HTTP header name (letters, digits and"
            + " !#$%&'*+-.^_`|~) and each value free of control characters" : "")
            + "; entry " + (i + 1) + " is malformed";
        if (secret) {
          settings.invalidSecret(variable, expected);
        } else {
          settings.invalid(variable, value, expected);
        }
        return Map.of();
      }
    }
    return result;
  }

  private static Map<String, TraceExporter> otelExporters() {
    Map<String, TraceExporter> names = new LinkedHashMap<>();
    names.put("otlp", TraceExporter.OTLP);
    names.put("console", TraceExporter.STDOUT);
    names.put("logging", TraceExporter.STDOUT);
    names.put("none", TraceExporter.NONE);
    return names;
  }

  /** An RFC 9110 token: what an HTTP field name may be. */
  private static boolean isHttpToken(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return !name.isEmpty();
  }

  /** No C0 control but the tab, no DEL: what an HTTP field value may not hold (RFC 9110 §5.5). */
  private static boolean hasNoControlCharacter(String value) {
    return value.chars().noneMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f);
  }
}
