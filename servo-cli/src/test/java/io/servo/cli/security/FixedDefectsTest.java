package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.cli.security.RawHttp.Header;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.settings.SettingsException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defects the security tests found in the orchestrator, each with the test that failed before its
 * fix: a HEAD request made the API throw out of its handler; a rejected configuration value was
 * quoted raw (URL passwords, control characters, unbounded length). And one the fuzz tests found in
 * their own bookkeeping: the JDK server's failure on an opaque request-target was blamed on Servo.
 */
class FixedDefectsTest {

  @Test
  void aHeadRequestIsAnsweredWithoutAnExceptionEscapingTheHandler(@TempDir Path dir) {
    try (SecurityStack stack = SecurityStack.sqlite(dir).start(); EncodedLogs logs = EncodedLogs.start()) {
      RawHttp.Response response = RawHttp.send(stack.apiPort(), "HEAD", "/v1/executions/" + java.util.UUID.randomUUID(),
          List.of(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN)), null);

      assertThat(response.status()).isEqualTo(405);
      assertThat(logs.escapedFromHandlers()).isEmpty();
    }
  }

  /**
   * Found by HostileApiFuzzTest (seed 7899825986698774523), a defect of the test's bookkeeping: the
   * JDK's server fails on an opaque request-target while parsing it, on Servo's executor thread, and
   * that was counted as an exception escaping a Servo handler.
   */
  @Test
  void anOpaqueRequestTargetIsDroppedByTheJdkServerBeforeAnyServoHandler(@TempDir Path dir) {
    try (SecurityStack stack = SecurityStack.sqlite(dir).start(); EncodedLogs logs = EncodedLogs.start()) {
      String before = stack.dump();
      for (int port : new int[] {stack.apiPort(), stack.workerPort()}) {
        for (String target : List.of("a:b", "mailto:acme@example.com", "v1:executions")) {
          assertThat(RawHttp.opaqueTarget(target)).isTrue();
          RawHttp.Response response = RawHttp.send(port, "POST", target,
              List.of(new Header("Authorization", "Bearer " + SecurityStack.ACME_TOKEN)), "{}".getBytes());

          // JDK 17 and 25 close the connection; a 400 from a later JDK would be as good.
          assertThat(response.status()).as("%s to port %d", target, port).isIn(-1, 400);
        }
      }
      assertThat(logs.escapedFromHandlers()).isEmpty();
      assertThat(logs.errors()).isEmpty();
      assertThat(stack.dump()).isEqualTo(before);
    }
  }

  @Test
  void aRejectedOrchestratorValueIsQuotedOnOneLineWithoutItsPassword() {
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("SERVO_DATABASE_URL", "postgres://servo:hunter2@db/servo")))
        .isInstanceOf(SettingsException.class).hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("SERVO_WORKER_URL", "http://u:hunter2@worker?x=1")))
        .isInstanceOf(SettingsException.class).hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("SERVO_QUEUE", "local\n2026-11-25 ERROR forged")))
        .isInstanceOf(SettingsException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThatThrownBy(() -> OrchestratorConfig.fromEnvironment(Map.of("PORT", "9".repeat(100_000))))
        .isInstanceOf(SettingsException.class)
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(1000));
    assertThat(OrchestratorConfig.fromEnvironment(Map.of("SERVO_DATABASE_URL", "jdbc:postgresql://u:hunter2@db/servo"))
        .toString()).doesNotContain("hunter2");
  }
}
