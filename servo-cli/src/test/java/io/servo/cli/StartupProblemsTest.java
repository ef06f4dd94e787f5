package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** One start of a service command reports the unusable variables of every part it would start. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a command that started by mistake would wait for SIGTERM
class StartupProblemsTest {

  @Test
  void theWorkerReportsItsTracingAndItsOwnProblemsInOneRunWithoutTheSecret() throws Exception {
    ConsoleCapture run = servo(Map.of("SERVO_ENVIRONMENT", "production", "SERVO_OIDC_ENABLED", "false",
        "SERVO_TRACE_SAMPLE_RATE", "1.5", "SERVO_WORKER_THREADS", "lots",
        "SERVO_HMAC_SECRET", "short-hmac-value"), "worker");

    assertThat(run.exitCode()).isEqualTo(ServoCli.CANNOT_START);
    assertThat(run.err()).isEqualTo("""
        servo: the worker cannot start (3 problems):
          - SERVO_TRACE_SAMPLE_RATE has invalid value '1.5': expected a number from 0.0 to 1.0, e.g. 0.01 for 1%
          - SERVO_HMAC_SECRET has an invalid value (not shown: it is a secret): expected at least 32 bytes \
        (it has 16); generate one with: openssl rand -base64 48
          - SERVO_WORKER_THREADS has invalid value 'lots': expected a whole number from 1 to 1024
        """);
    assertThat(run.err() + run.out()).doesNotContain("short-hmac-value");
  }

  @Test
  void theOrchestratorReportsTracingItsOwnAndItsCloudTasksQueueProblemsInOneRun() throws Exception {
    ConsoleCapture run = servo(Map.of("SERVO_QUEUE", "cloudtasks", "SERVO_LOCAL_QUEUE_MAX_ATTEMPTS", "0",
        "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer header-secret,=broken",
        "GCP_PROJECT_ID", "p", "GCP_LOCATION", "europe-west1", "GCP_QUEUE_NAME", "servo-tasks",
        "GCP_WORKER_URL", "https://worker.example.com"), "orchestrator");

    assertThat(run.exitCode()).isEqualTo(ServoCli.CANNOT_START);
    assertThat(run.err()).startsWith("servo: the orchestrator cannot start (3 problems):\n")
        .contains("\n  - OTEL_EXPORTER_OTLP_HEADERS has an invalid value (not shown: it is a secret)",
            "\n  - SERVO_LOCAL_QUEUE_MAX_ATTEMPTS has invalid value '0'",
            "\n  - GCP_SERVICE_ACCOUNT_EMAIL is not set")
        .doesNotContain("header-secret");
  }

  @Test
  void devReportsAVariableTwoOfItsServicesReadOnce() throws Exception {
    ConsoleCapture run = servo(Map.of("SERVO_DATABASE_URL", "mysql://db/servo", "SERVO_TRACE_EXPORTER", "zipkin"),
        "dev");

    assertThat(run.exitCode()).isEqualTo(ServoCli.CANNOT_START);
    assertThat(run.err()).isEqualTo("""
        servo: servo dev cannot start (2 problems):
          - SERVO_TRACE_EXPORTER has invalid value 'zipkin': expected one of cloudtrace, jaeger, otlp, stdout, none
          - SERVO_DATABASE_URL has invalid value 'mysql://db/servo': expected a jdbc:postgresql:… or jdbc:sqlite:… URL
        """);
  }

  /** Runs {@code servo ARGS} as typed, with the service commands reading {@code env} as their environment. */
  private static ConsoleCapture servo(Map<String, String> env, String... args) throws Exception {
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> type) throws Exception {
        Object command = type == WorkerCommand.class ? new WorkerCommand(env)
            : type == OrchestratorCommand.class ? new OrchestratorCommand(env)
            : type == DevCommand.class ? new DevCommand(env)
            : CommandLine.defaultFactory().create(type);
        return type.cast(command);
      }
    };
    return ConsoleCapture.run(() -> ServoCli.execute(factory, args));
  }
}
