package io.servo.cli.webhook;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A local stand-in for a webhook (a chat or alerting hook an {@code http} asset calls): answers
 * 204 to every POST or PUT and hands each call to a listener. With an expected token it answers
 * 401 to a call whose {@code Authorization} is neither the token nor {@code Bearer <token>}.
 * The {@code Authorization} value itself is never kept: a {@link Call} only says whether it
 * matched.
 */
public final class WebhookSink implements AutoCloseable {
  /** Bodies are read whole but kept only up to this many bytes (a sink is for reading, not storing). */
  static final int MAX_KEPT_BODY_BYTES = 4096;

  private final HttpServer server;

  private WebhookSink(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts a sink on {@code address}.
   *
   * @param expectedToken the token calls must carry, or null to accept every call
   * @param listener told about every call, authorized or not, on the server's thread
   */
  public static WebhookSink start(InetSocketAddress address, String expectedToken, Consumer<Call> listener)
      throws IOException {
    requireNonNull(address, "address");
    requireNonNull(listener, "listener");
    HttpServer server = HttpServer.create(address, 16);
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "webhook-sink");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", exchange -> {
      try (exchange) {
        answer(exchange, expectedToken, listener);
      }
    });
    server.start();
    return new WebhookSink(server);
  }

  private static void answer(HttpExchange exchange, String expectedToken, Consumer<Call> listener)
      throws IOException {
    String method = exchange.getRequestMethod();
    byte[] body = readKept(exchange.getRequestBody());
    if (!method.equals("POST") && !method.equals("PUT")) {
      exchange.getResponseHeaders().set("Allow", "POST, PUT");
      exchange.sendResponseHeaders(405, -1);
      return;
    }
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    Authorization auth = authorization == null ? Authorization.NONE
        : expectedToken == null ? Authorization.PRESENT
        : matches(authorization, expectedToken) ? Authorization.MATCHED : Authorization.WRONG;
    boolean accepted = expectedToken == null || auth == Authorization.MATCHED;
    int status = accepted ? 204 : 401;
    listener.accept(new Call(method, exchange.getRequestURI().getRawPath(),
        exchange.getRequestHeaders().getFirst("Content-Type"), auth, status, body));
    exchange.sendResponseHeaders(status, -1);
  }

  private static boolean matches(String authorization, String token) {
    String given = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7) : authorization;
    // Constant-time: the sink may guard a real token on a shared machine.
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] readKept(InputStream in) throws IOException {
    byte[] kept = in.readNBytes(MAX_KEPT_BODY_BYTES);
    in.transferTo(java.io.OutputStream.nullOutputStream());
    return kept;
  }

  /** The port the sink listens on (the one asked for, or the one chosen for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  /** What the sink learnt about a call's {@code Authorization} header, without its value. */
  public enum Authorization {
    NONE("none"), PRESENT("present"), MATCHED("matches the token"), WRONG("does not match the token");

    private final String description;

    Authorization(String description) {
      this.description = description;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /**
   * One call the sink received.
   *
   * @param body the first {@value #MAX_KEPT_BODY_BYTES} bytes of the body
   */
  public record Call(String method, String path, String contentType, Authorization authorization, int status,
      byte[] body) {
    public boolean accepted() {
      return status / 100 == 2;
    }
  }
}
