package io.servo.cli.client;

import java.net.URI;
import picocli.CommandLine.Option;

/** Where the orchestrator API is and how to authenticate to it; shared by the client commands. */
public final class ClientOptions {
  @Option(names = "--server", defaultValue = "${env:SERVO_SERVER:-http://localhost:8080}",
      description = "Orchestrator URL (env SERVO_SERVER; default ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--token", defaultValue = "${env:SERVO_API_TOKEN}",
      description = "API token of your tenant (env SERVO_API_TOKEN)")
  String token;

  public ApiClient client() {
    String base = server.endsWith("/") ? server : server + "/";
    return new ApiClient(URI.create(base), token);
  }
}
