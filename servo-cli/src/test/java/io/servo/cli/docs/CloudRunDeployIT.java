package io.servo.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.cloud.gcp.fake.oidc.JwksServer;
import io.servo.cloud.gcp.fake.tasks.FakeCloudTasks;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each service of docs/cloud-run.md starts with exactly the variables the page's
 * {@code gcloud run deploy} and {@code services update} commands give it, from the shipped jar, with
 * only what Google Cloud provides stood in for: {@code PORT} and {@code K_SERVICE} (Cloud Run sets
 * them), the secrets' values (the database URL is a fresh local PostgreSQL database), a service
 * account key file instead of the metadata server, the Cloud Tasks fake's endpoint for the
 * orchestrator and the OIDC fake's keys for the workers.
 */
class CloudRunDeployIT {
  private static final Path HOME =
      Path.of(System.getenv().getOrDefault("SERVO_HOME", "..")).toAbsolutePath().normalize();
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  @TempDir Path dir;
  private PostgresTestDatabase database;
  private FakeCloudTasks cloudTasks;
  private JwksServer jwks;
  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeEach
  void standIns() {
    database = PostgresTestDatabase.create();
    cloudTasks = FakeCloudTasks.start();
    jwks = cloudTasks.oidc().startJwksServer();
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : started) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    jwks.close();
    cloudTasks.close();
    database.close();
  }

  @Test
  void everyServiceStartsWithTheVariablesThePageGivesIt() throws Exception {
    Map<String, String> ports = Map.of("servo-worker", freePort(), "servo-worker-acme", freePort(),
        "servo-orchestrator", freePort());
    GcloudRunServices page = GcloudRunServices.of(ShellBlocks.of(HOME.resolve("docs/cloud-run.md")).blocks(),
        Map.of("WORKER_URL", "http://127.0.0.1:" + ports.get("servo-worker"),
            "ACME_WORKER_URL", "http://127.0.0.1:" + ports.get("servo-worker-acme")));
    assertThat(page.services()).containsOnlyKeys(ports.keySet());
    Map<String, String> secrets = Map.of(
        "servo-hmac-secret", random(48), "servo-hmac-secret-acme", random(48),
        "servo-api-tokens", "acme:" + HexFormat.of().formatHex(random(24).getBytes()),
        "servo-database-url", database.url(), "servo-warehouse-url-acme", database.url());
    Path credentials = serviceAccountKey();

    // Workers first: the orchestrator of the page sends to them.
    for (String name : List.of("servo-worker", "servo-worker-acme", "servo-orchestrator")) {
      GcloudRunServices.Service service = page.services().get(name);
      Map<String, String> env = new HashMap<>(service.variables());
      service.secrets().forEach((variable, secret) -> {
        assertThat(secrets).as("a value for secret %s (%s of %s)", secret, variable, name).containsKey(secret);
        env.put(variable, secrets.get(secret));
      });
      env.put("PORT", ports.get(name));
      env.put("K_SERVICE", name);
      env.put("PATH", System.getenv("PATH"));
      env.put("GOOGLE_APPLICATION_CREDENTIALS", credentials.toString());
      if (service.args().contains("orchestrator")) {
        env.put("SERVO_CLOUD_TASKS_ENDPOINT", cloudTasks.endpoint());
      } else {
        env.put("SERVO_OIDC_JWKS_URL", jwks.certsUrl().toString());
      }
      Path log = dir.resolve(name + ".log");
      Process process = start(service.args(), env, log);

      String base = "http://127.0.0.1:" + ports.get(name);
      assertThat(awaitStatus(process, base + "/health", log)).as("%s /health\n%s", name, Files.readString(log)).isEqualTo(200);
      if (!service.args().contains("orchestrator")) {
        assertThat(awaitStatus(process, base + "/ready", log)).as("%s /ready\n%s", name, Files.readString(log)).isEqualTo(200);
      }
    }
  }

  private Process start(List<String> args, Map<String, String> env, Path log) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+DisableAttachMechanism", "-Xmx256m",
        "-jar", System.getProperty("servo.jar", HOME.resolve("servo-cli/target/servo.jar").toString())));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(HOME.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process = builder.start();
    started.add(process);
    return process;
  }

  /** The endpoint's status once the service answers (the service's own start-up is what is waited for). */
  private int awaitStatus(Process process, String url, Path log) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the service exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError(url + " did not answer within " + START_TIMEOUT + ":\n" + Files.readString(log));
  }

  /** A service account key file that parses but reaches no Google endpoint (its token URI refuses). */
  private Path serviceAccountKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String pem = "-----BEGIN PRIVATE KEY-----\\n"
        + Base64.getEncoder().encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
        + "\\n-----END PRIVATE KEY-----\\n";
    Path file = dir.resolve("service-account.json");
    Files.writeString(file, "{\"type\": \"service_account\", \"project_id\": \"my-project\", \"private_key_id\": \"test\","
        + " \"private_key\": \"" + pem + "\", \"client_email\": \"servo-test@my-project.iam.gserviceaccount.com\","
        + " \"client_id\": \"1\", \"token_uri\": \"http://127.0.0.1:1/token\"}");
    return file;
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    new java.security.SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return String.valueOf(socket.getLocalPort());
    }
  }
}
