package io.servo.telemetry.view;

import io.opentelemetry.api.trace.TraceId;
import io.servo.telemetry.config.TraceExporter;
import io.servo.telemetry.config.TracingConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Links to a trace in the UI that holds it, for {@code servo status}, the API and log lines.
 *
 * <p>In order: Cloud Trace's console when the exporter is {@code cloudtrace} and the project is
 * known; else the template in {@code SERVO_TRACE_UI_URL}; else Jaeger's UI on localhost for the
 * {@code jaeger} exporter; else no link.
 */
public final class TraceLinks {

  /** The placeholder of {@code SERVO_TRACE_UI_URL}. */
  public static final String TRACE_ID_PLACEHOLDER = "{trace_id}";

  /** Jaeger's UI as {@code jaeger-all-in-one} serves it. */
  public static final String JAEGER_DEFAULT_TEMPLATE = "http://localhost:16686/trace/{trace_id}";

  private static final String CLOUD_TRACE_TEMPLATE =
      "https://console.cloud.google.com/traces/list?project={project}&tid={trace_id}";

  private final String template;

  private TraceLinks(String template) {
    this.template = template;
  }

  /** Links as configured, with the project from {@code GCP_PROJECT_ID} for Cloud Trace. */
  public static TraceLinks create(TracingConfig config) {
    Objects.requireNonNull(config, "config");
    return create(config, config.gcpProjectId());
  }

  /**
   * Links as configured, with {@code gcpProject} for Cloud Trace (for example the project detected
   * from credentials at start-up).
   */
  public static TraceLinks create(TracingConfig config, Optional<String> gcpProject) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(gcpProject, "gcpProject");
    if (config.exporter() == TraceExporter.CLOUDTRACE && gcpProject.isPresent()) {
      String project = URLEncoder.encode(gcpProject.get(), StandardCharsets.UTF_8);
      return new TraceLinks(CLOUD_TRACE_TEMPLATE.replace("{project}", project));
    }
    if (config.traceUiUrl().isPresent()) {
      return new TraceLinks(config.traceUiUrl().get());
    }
    if (config.exporter() == TraceExporter.JAEGER) {
      return new TraceLinks(JAEGER_DEFAULT_TEMPLATE);
    }
    return new TraceLinks(null);
  }

  /**
   * The URL of the trace, or empty when no UI is known.
   *
   * @param traceId 32 lowercase hex characters
   * @throws IllegalArgumentException if {@code traceId} is not a valid trace id
   */
  public Optional<String> url(String traceId) {
    Objects.requireNonNull(traceId, "traceId");
    if (!TraceId.isValid(traceId)) {
      throw new IllegalArgumentException(
          "traceId must be 32 lowercase hex characters, not all zero, was \"" + traceId + "\"");
    }
    return template == null
        ? Optional.empty()
        : Optional.of(template.replace(TRACE_ID_PLACEHOLDER, traceId));
  }

  @Override
  public String toString() {
    return "TraceLinks{" + (template == null ? "-" : template) + "}";
  }
}
