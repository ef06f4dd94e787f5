package io.servo.telemetry;

import com.google.auth.oauth2.GoogleCredentials;
import io.servo.settings.SettingsException;
import io.servo.telemetry.config.TracingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request headers for Cloud Trace's OTLP endpoint: a fresh OAuth access token from Google
 * credentials on every export (the credentials refresh it before it expires) and the project that
 * is billed for the calls.
 */
final class CloudTraceAuth implements Supplier<Map<String, String>> {

  static final String SCOPE = "https://www.googleapis.com/auth/cloud-platform";
  static final URI METADATA_SERVER = URI.create("http://metadata.google.internal");
  private static final Duration METADATA_BOUND = Duration.ofSeconds(2);
  private static final Duration ADC_BOUND = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(ServoTelemetry.class);

  private final GoogleCredentials credentials;
  private final String projectId;
  private final URI endpoint;
  private volatile Instant lastFailureLog = Instant.MIN;

  private CloudTraceAuth(GoogleCredentials credentials, String projectId, URI endpoint) {
    this.credentials = credentials;
    this.projectId = projectId;
    this.endpoint = endpoint;
  }

  /**
   * Finds credentials (the given ones, else Application Default Credentials) and the project
   * (GCP_PROJECT_ID, else the credentials' quota or own project, else the metadata server).
   *
   * @throws SettingsException with the fix spelled out when either cannot be found
   */
  static CloudTraceAuth create(
      TracingConfig config, GoogleCredentials given, URI metadataServer) {
    GoogleCredentials credentials = (given != null ? given : applicationDefault()).createScoped(SCOPE);
    String project = config.gcpProjectId()
        .or(() -> Optional.ofNullable(credentials.getQuotaProjectId()))
        .or(() -> Optional.ofNullable(credentials.getProjectId()))
        .or(() -> metadataProject(metadataServer))
        .orElseThrow(() -> SettingsException.of("tracing", "GCP_PROJECT_ID",
            "SERVO_TRACE_EXPORTER=cloudtrace needs a Google Cloud project and none was found"
                + " (not in GCP_PROJECT_ID, not in the credentials, no metadata server):"
                + " set GCP_PROJECT_ID to your project id, or choose another SERVO_TRACE_EXPORTER"));
    return new CloudTraceAuth(credentials, project, config.tracesEndpoint().orElseThrow());
  }

  String projectId() {
    return projectId;
  }

  private static GoogleCredentials applicationDefault() {
    String fix = "SERVO_TRACE_EXPORTER=cloudtrace needs Google Application Default Credentials:"
        + " run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS to"
        + " a service account key file (on Cloud Run, give the service an identity),"
        + " or choose another SERVO_TRACE_EXPORTER";
    try {
      return Bounded.call("adc", ADC_BOUND, GoogleCredentials::getApplicationDefault)
          .orElseThrow(() -> SettingsException.of("tracing", "GOOGLE_APPLICATION_CREDENTIALS",
              fix + " (looking them up did not finish within " + ADC_BOUND.toSeconds() + " s)"));
    } catch (SettingsException e) {
      throw e;
    } catch (Exception e) {
      throw new SettingsException("tracing", List.of(new SettingsException.Problem(
          "GOOGLE_APPLICATION_CREDENTIALS", fix + " (" + e.getMessage() + ")")), e);
    }
  }

  private static Optional<String> metadataProject(URI server) {
    try {
      return Bounded.call("metadata", METADATA_BOUND, () -> {
        HttpURLConnection connection = (HttpURLConnection) server
            .resolve("/computeMetadata/v1/project/project-id").toURL().openConnection();
        connection.setConnectTimeout((int) METADATA_BOUND.toMillis());
        connection.setReadTimeout((int) METADATA_BOUND.toMillis());
        connection.setRequestProperty("Metadata-Flavor", "Google");
        try {
          if (connection.getResponseCode() != 200
              || !"Google".equals(connection.getHeaderField("Metadata-Flavor"))) {
            return null;
          }
          try (InputStream in = connection.getInputStream()) {
            String project = new String(in.readNBytes(256), StandardCharsets.UTF_8).trim();
            return project.isEmpty() ? null : project;
          }
        } finally {
          connection.disconnect();
        }
      });
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  @Override
  public Map<String, String> get() {
    Map<String, String> headers = new LinkedHashMap<>();
    try {
      // getRequestMetadata refreshes the token when it is about to expire.
      for (Map.Entry<String, List<String>> entry :
          credentials.getRequestMetadata(endpoint).entrySet()) {
        if (!entry.getValue().isEmpty()) {
          headers.put(entry.getKey(), entry.getValue().get(0));
        }
      }
    } catch (IOException | RuntimeException e) {
      Instant now = Instant.now();
      if (now.isAfter(lastFailureLog.plusSeconds(60))) {
        lastFailureLog = now;
        log.warn("Could not get a Google access token for Cloud Trace; spans will be rejected: {}",
            e.toString());
      }
    }
    headers.put("x-goog-user-project", projectId);
    return headers;
  }
}
