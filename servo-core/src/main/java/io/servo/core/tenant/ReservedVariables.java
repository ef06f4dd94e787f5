package io.servo.core.tenant;

import java.util.List;
import java.util.Set;

/**
 * Environment variables that belong to Servo or to the platform it runs on: no workflow's {@code
 * ${env:NAME}} may resolve them, whatever an operator grants. They hold the signing key, database
 * and warehouse URLs with their passwords, every tenant's grants, cloud credentials and the JVM's
 * options.
 */
public final class ReservedVariables {
  /** Prefixes of reserved names. {@code PG}: libpq's PGPASSWORD, PGUSER, PGHOST… */
  public static final List<String> PREFIXES = List.of(
      "SERVO_", "GCP_", "GOOGLE_", "CLOUDSDK_", "CLOUD_RUN_", "OTEL_", "K_", "JAVA_", "JDK_",
      "_JAVA_", "PG", "AWS_", "AZURE_", "KUBERNETES_");
  /** Reserved names that are no prefix's. */
  public static final Set<String> NAMES = Set.of("PORT", "CLASSPATH", "LD_PRELOAD", "LD_LIBRARY_PATH");

  private ReservedVariables() {}

  public static boolean isReserved(String name) {
    if (NAMES.contains(name)) {
      return true;
    }
    for (String prefix : PREFIXES) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** The rule in words, for messages. */
  public static String describe() {
    return "Servo's and the platform's own variables (" + String.join("*, ", PREFIXES) + "*, "
        + String.join(", ", NAMES.stream().sorted().toList()) + ")";
  }
}
