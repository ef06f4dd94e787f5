package io.servo.cloud.gcp.fake.oidc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A local stand-in for Google's certificate endpoints: {@code GET /certs} returns the JWKS of a
 * {@link FakeGoogleOidc}, and {@code GET /.well-known/openid-configuration} a discovery document
 * pointing at it. Point the worker's OIDC verifier at {@link #certsUrl()}.
 */
public final class JwksServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private JwksServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  static JwksServer start(FakeGoogleOidc oidc) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
        Thread t = new Thread(runnable, "fake-jwks");
        t.setDaemon(true);
        return t;
      });
      server.setExecutor(executor);
      JwksServer jwks = new JwksServer(server, executor);
      server.createContext("/certs", exchange -> respond(exchange, oidc.jwksJson()));
      server.createContext("/.well-known/openid-configuration", exchange -> respond(exchange,
          "{\"issuer\":\"" + oidc.issuer() + "\",\"jwks_uri\":\"" + jwks.certsUrl()
              + "\",\"id_token_signing_alg_values_supported\":[\"RS256\"]}"));
      server.start();
      return jwks;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the JWKS server", e);
    }
  }

  /** {@code http://127.0.0.1:PORT/certs}. */
  public URI certsUrl() {
    return URI.create(baseUrl() + "/certs");
  }

  public URI baseUrl() {
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getAddress().getHostAddress() + ":" + address.getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void respond(HttpExchange exchange, String json) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Cache-Control", "public, max-age=300");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }
}
