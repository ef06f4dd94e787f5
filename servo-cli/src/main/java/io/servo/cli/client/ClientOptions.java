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

  /**
   * @throws CliException (a usage error) when {@code --server} is not an http(s) URL with a host
   */
  public ApiClient client() {
    String base = server.endsWith("/") ? server : server + "/";
    URI uri;
    try {
      uri = new URI(base);
    } catch (java.net.URISyntaxException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null
        || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
      throw CliException.usage("--server '" + server + "' is not a URL of the orchestrator: use http://HOST:PORT "
          + "or https://HOST, e.g. --server http://localhost:8080 (or set SERVO_SERVER)");
    }
    return new ApiClient(uri, token);
  }
}
