package io.servo.cli;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevCommandTest {
  @TempDir Path dir;

  @Test
  void aTakenWorkerPortIsExplainedByTheVariableItCameFrom() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
      String workerUrl = "http://localhost:" + taken.getLocalPort();
      Map<String, String> env = Map.of("PATH", System.getenv("PATH"), "PORT", "0",
          "SERVO_DATABASE_URL", "jdbc:sqlite:" + dir.resolve("servo.db"), "SERVO_WORKER_URL", workerUrl);

      assertThatThrownBy(() -> new DevCommand(env).call())
          .isInstanceOf(StartupException.class)
          .hasMessage("cannot listen on port " + taken.getLocalPort() + " for the worker (the port of SERVO_WORKER_URL="
              + workerUrl + "): is another servo dev or worker running? Stop it, or set SERVO_WORKER_URL to a free "
              + "port, e.g. http://localhost:8091");
    }
  }
}
