package io.servo.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.contrib.gcp.resource.GCPResourceProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.servo.telemetry.config.TracingConfig;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Resource of one service: who emits the spans. */
final class ServiceResource {

  static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  static final AttributeKey<String> SERVICE_VERSION = AttributeKey.stringKey("service.version");
  static final AttributeKey<String> DEPLOYMENT_ENVIRONMENT =
      AttributeKey.stringKey("deployment.environment.name");
  static final AttributeKey<String> GCP_PROJECT_ID = AttributeKey.stringKey("gcp.project_id");
  /** What the GCP resource detector sets to the project id. */
  static final AttributeKey<String> CLOUD_ACCOUNT_ID = AttributeKey.stringKey("cloud.account.id");
  private static final Duration GCP_DETECTION_BOUND = Duration.ofSeconds(3);
  private static final Logger log = LoggerFactory.getLogger(ServoTelemetry.class);

  private ServiceResource() {}

  static Resource create(TracingConfig config, String serviceName, String serviceVersion,
      String gcpProjectId, boolean detectGcp) {
    Resource resource = Resource.getDefault();
    if (detectGcp && config.gcpServerless()) {
      resource = resource.merge(Resource.create(detectGcp()));
    }
    AttributesBuilder fromEnv = Attributes.builder();
    config.resourceAttributes().forEach(fromEnv::put);
    resource = resource.merge(Resource.create(fromEnv.build()));

    String version = serviceVersion != null
        ? serviceVersion
        : config.resourceAttributes().getOrDefault("service.version", packageVersion());
    AttributesBuilder own = Attributes.builder()
        .put(SERVICE_NAME, config.serviceNameOverride().orElse(serviceName))
        .put(SERVICE_VERSION, version)
        .put(DEPLOYMENT_ENVIRONMENT, config.environment().id());
    if (gcpProjectId != null) {
      own.put(GCP_PROJECT_ID, gcpProjectId);
    }
    resource = resource.merge(Resource.create(own.build()));
    // The command line can carry secrets passed as arguments: never export it.
    return resource.toBuilder()
        .removeIf(key -> key.getKey().startsWith("process.command"))
        .build();
  }

  /**
   * The Google Cloud project the service runs for: {@code GCP_PROJECT_ID}, else the one Cloud
   * Trace's credentials named, else the one detected on GCP ({@code cloud.account.id}).
   */
  static java.util.Optional<String> project(TracingConfig config, String authProject, Resource resource) {
    return config.gcpProjectId()
        .or(() -> java.util.Optional.ofNullable(authProject))
        .or(() -> java.util.Optional.ofNullable(resource.getAttribute(CLOUD_ACCOUNT_ID)))
        .filter(p -> !p.isBlank());
  }

  private static Attributes detectGcp() {
    // The detector asks the metadata server without a DNS bound; it only runs when a Google
    // serverless platform's variables say we are on GCP, and never longer than the bound.
    try {
      return Bounded.call("gcp-resource", GCP_DETECTION_BOUND,
              () -> new GCPResourceProvider().getAttributes())
          .orElseGet(() -> {
            log.warn("GCP resource detection did not finish within {} s; continuing without it",
                GCP_DETECTION_BOUND.toSeconds());
            return Attributes.empty();
          });
    } catch (Exception e) {
      log.warn("GCP resource detection failed; continuing without it: {}", e.toString());
      return Attributes.empty();
    }
  }

  private static String packageVersion() {
    String version = ServoTelemetry.class.getPackage().getImplementationVersion();
    return version != null ? version : "unknown";
  }
}
