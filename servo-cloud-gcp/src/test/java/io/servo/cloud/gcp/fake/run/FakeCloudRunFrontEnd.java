package io.servo.cloud.gcp.fake.run;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A reverse proxy standing in for Cloud Run's front end in tests: it forwards method, path, query,
 * headers and body to a target service and relays the response, and treats trace headers as
 * Google's front end does (see {@link TraceHeaderMode}): by default the parent id of {@code
 * traceparent} is replaced, so the service sees the front end's span as its parent, not the
 * caller's. Authorization, {@code X-Servo-*} and {@code X-CloudTasks-*} headers pass unchanged;
 * {@code X-Forwarded-For} and {@code X-Forwarded-Proto} are added.
 */
public final class FakeCloudRunFrontEnd implements AutoCloseable {
  public static final String TRACEPARENT = "traceparent";
  public static final String TRACESTATE = "tracestate";
  public static final String CLOUD_TRACE_CONTEXT = "X-Cloud-Trace-Context";

  private static final Pattern TRACEPARENT_FORMAT =
      Pattern.compile("^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$");
  /** Hop-by-hop headers, and those the JDK client sets itself; lower case. */
  private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect",
      "upgrade", "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection", "proxy-authorization");
  private static final Set<String> TRACE_HEADERS =
      Set.of(TRACEPARENT, TRACESTATE, CLOUD_TRACE_CONTEXT.toLowerCase(Locale.ROOT));

  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpClient client;
  private final URI target;
  private final TraceHeaderMode mode;

  private FakeCloudRunFrontEnd(HttpServer server, ExecutorService executor, URI target, TraceHeaderMode mode) {
    this.server = server;
    this.executor = executor;
    this.target = target;
    this.mode = mode;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** A front end on 127.0.0.1 (ephemeral port) for {@code target}, rewriting the parent id. */
  public static FakeCloudRunFrontEnd start(URI target) {
    return start(target, TraceHeaderMode.REWRITE_PARENT);
  }

  /** @param target the service's base URL, e.g. {@code http://127.0.0.1:8081} */
  public static FakeCloudRunFrontEnd start(URI target, TraceHeaderMode mode) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(mode, "mode");
    if (target.getScheme() == null || target.getHost() == null) {
      throw new IllegalArgumentException("target must be an absolute URL, was " + target);
    }
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService executor = Executors.newFixedThreadPool(8, runnable -> {
        Thread t = new Thread(runnable, "fake-cloud-run-front-end");
        t.setDaemon(true);
        return t;
      });
      server.setExecutor(executor);
      FakeCloudRunFrontEnd frontEnd = new FakeCloudRunFrontEnd(server, executor, target, mode);
      server.createContext("/", frontEnd::handle);
      server.start();
      return frontEnd;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the fake Cloud Run front end", e);
    }
  }

  /** {@code http://127.0.0.1:PORT}: what a caller uses as the service's URL. */
  public URI url() {
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getAddress().getHostAddress() + ":" + address.getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(targetUri(exchange.getRequestURI()))
          .timeout(Duration.ofMinutes(5))
          .method(exchange.getRequestMethod(), body.length == 0
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
        String lower = header.getKey().toLowerCase(Locale.ROOT);
        if (NOT_FORWARDED.contains(lower) || (mode != TraceHeaderMode.PASS_THROUGH && TRACE_HEADERS.contains(lower))) {
          continue;
        }
        for (String value : header.getValue()) {
          try {
            request.header(header.getKey(), value);
          } catch (IllegalArgumentException e) {
            // A header the JDK client refuses to set; Cloud Run would drop it too.
          }
        }
      }
      if (mode == TraceHeaderMode.REWRITE_PARENT) {
        rewriteTraceContext(exchange, request);
      }
      request.header("X-Forwarded-For", exchange.getRemoteAddress().getAddress().getHostAddress());
      request.header("X-Forwarded-Proto", "https");

      HttpResponse<byte[]> response;
      try {
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        // What the front end answers when the container does not: 503.
        byte[] message = ("upstream connect error: " + e.getMessage()).getBytes();
        exchange.sendResponseHeaders(503, message.length);
        exchange.getResponseBody().write(message);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exchange.sendResponseHeaders(503, -1);
        return;
      }
      response.headers().map().forEach((name, values) -> {
        if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
          exchange.getResponseHeaders().put(name, values);
        }
      });
      byte[] responseBody = response.body();
      boolean noBody = responseBody.length == 0 || response.statusCode() == 204 || response.statusCode() == 304
          || "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : responseBody.length);
      if (!noBody) {
        exchange.getResponseBody().write(responseBody);
      }
    }
  }

  private void rewriteTraceContext(HttpExchange exchange, HttpRequest.Builder request) {
    String incoming = exchange.getRequestHeaders().getFirst(TRACEPARENT);
    String traceId;
    String flags;
    var m = incoming == null ? null : TRACEPARENT_FORMAT.matcher(incoming.trim());
    if (m != null && m.matches() && !"ff".equals(m.group(1)) && !m.group(2).matches("0+") && !m.group(3).matches("0+")) {
      traceId = m.group(2);
      flags = m.group(4);
    } else {
      traceId = randomHex(16);
      flags = "00";
    }
    String spanId = randomHex(8);
    request.header(TRACEPARENT, "00-" + traceId + "-" + spanId + "-" + flags);
    List<String> tracestate = exchange.getRequestHeaders().get(TRACESTATE);
    if (tracestate != null) {
      tracestate.forEach(value -> request.header(TRACESTATE, value));
    }
    boolean sampled = (HexFormat.fromHexDigits(flags) & 1) == 1;
    request.header(CLOUD_TRACE_CONTEXT,
        traceId + "/" + Long.toUnsignedString(Long.parseUnsignedLong(spanId, 16)) + ";o=" + (sampled ? 1 : 0));
  }

  private URI targetUri(URI incoming) {
    String base = target.toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String query = incoming.getRawQuery();
    return URI.create(base + incoming.getRawPath() + (query == null ? "" : "?" + query));
  }

  private static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    do {
      ThreadLocalRandom.current().nextBytes(random);
    } while (allZero(random));
    return HexFormat.of().formatHex(random);
  }

  private static boolean allZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
