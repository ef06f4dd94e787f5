package io.servo.testing.otlp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OTLP/HTTP trace backend on 127.0.0.1 whose behaviour a test switches at will: answer 200,
 * refuse connections (nothing listens on its port), accept and never answer, answer 500 or 429, or
 * answer slowly. It keeps the most recent request bodies (bounded) so a test can look for a trace
 * id in them: OTLP/protobuf carries trace ids as their 16 raw bytes.
 *
 * <p>Several senders can share it, each on its own route ({@link #tracesEndpoint(String)}): it
 * counts requests, bytes and spans per route, so each pays the real cost of exporting without a
 * collector (servo-bench's configurations do).
 */
public final class OtlpReceiver implements AutoCloseable {
  /** How the receiver answers. */
  public enum Mode { OK, REFUSE, HANG, ERROR_500, TOO_MANY_429, SLOW }

  private record Received(long atNanos, byte[] body) {}

  private volatile int keptBodies = 256;

  private final int port;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "otlp-receiver");
    t.setDaemon(true);
    return t;
  });
  /** Bodies answered 200, with the {@link System#nanoTime()} they arrived at. */
  private final Deque<Received> bodies = new ArrayDeque<>();
  private final AtomicLong requests = new AtomicLong();
  private final Map<String, RouteCounts> routes = new ConcurrentHashMap<>();
  private final AtomicLong answered200 = new AtomicLong();
  private final Object modeChanged = new Object();
  private volatile Mode mode;
  private volatile Duration slowDelay = Duration.ofSeconds(2);
  private volatile boolean closed;
  private HttpServer server;

  private OtlpReceiver(int port, Mode mode) throws IOException {
    this.port = port;
    setMode(mode);
  }

  /** A receiver in {@code mode} on a free port. */
  public static OtlpReceiver start(Mode mode) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return new OtlpReceiver(port, mode);
  }

  /** A receiver that answers 200 and keeps no bodies, for senders that only need counting. */
  public static OtlpReceiver counting() throws IOException {
    OtlpReceiver receiver = start(Mode.OK);
    receiver.keepBodies(0);
    return receiver;
  }

  /** {@code http://127.0.0.1:<port>}: SERVO_TRACE_ENDPOINT (the exporter appends /v1/traces). */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The full traces URL of one {@code route} (a path segment): {@code http://127.0.0.1:<port>/<route>/v1/traces}. */
  public String tracesEndpoint(String route) {
    return endpoint() + "/" + route + "/v1/traces";
  }

  /** Switches behaviour; REFUSE closes the listening socket, any other mode listens again on the same port. */
  public synchronized void setMode(Mode next) throws IOException {
    this.mode = next;
    synchronized (modeChanged) {
      modeChanged.notifyAll(); // hung requests end when the mode changes
    }
    if (next == Mode.REFUSE) {
      if (server != null) {
        server.stop(0);
        server = null;
      }
    } else if (server == null) {
      server = HttpServer.create();
      server.bind(new InetSocketAddress("127.0.0.1", port), 64);
      server.setExecutor(executor);
      server.createContext("/", this::handle);
      server.start();
    }
  }

  /** How many of the latest bodies to keep for {@link #received} (default 256; 0 under load, to measure the heap). */
  public void keepBodies(int count) {
    this.keptBodies = count;
  }

  /** How long SLOW waits before answering 200 (default 2 s). */
  public void slowDelay(Duration delay) {
    this.slowDelay = delay;
  }

  /** Requests received, in any mode, on any route. */
  public long requests() {
    return requests.get();
  }

  public long answered200() {
    return answered200.get();
  }

  /** Requests received on {@code route}. */
  public long requests(String route) {
    return route(route).requests.sum();
  }

  /** Body bytes received on {@code route}. */
  public long bytes(String route) {
    return route(route).bytes.sum();
  }

  /** Spans received on {@code route} (requests that were not plain protobuf, such as gzip, count none). */
  public long spans(String route) {
    return route(route).spans.sum();
  }

  private RouteCounts route(String route) {
    return routes.computeIfAbsent(route, k -> new RouteCounts());
  }

  /** Whether a request answered 200 carried a span of {@code traceIdHex}. */
  public boolean received(String traceIdHex) {
    return arrival(HexFormat.of().parseHex(traceIdHex)).isPresent();
  }

  /** Whether a request answered 200 carried this text (a span name, an attribute value). */
  public boolean receivedText(String text) {
    return arrival(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)).isPresent();
  }

  /**
   * When ({@link System#nanoTime()}) the first request arrived that carried both a span of {@code
   * traceIdHex} and {@code text} (a span name).
   */
  public java.util.OptionalLong arrivalOf(String traceIdHex, String text) {
    return arrival(HexFormat.of().parseHex(traceIdHex), text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private java.util.OptionalLong arrival(byte[]... needles) {
    synchronized (bodies) {
      outer:
      for (Received r : bodies) {
        for (byte[] needle : needles) {
          if (indexOf(r.body(), needle) < 0) {
            continue outer;
          }
        }
        return java.util.OptionalLong.of(r.atNanos());
      }
    }
    return java.util.OptionalLong.empty();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      long arrived = System.nanoTime();
      String path = exchange.getRequestURI().getPath();
      if (!"POST".equals(exchange.getRequestMethod()) || !path.endsWith("/v1/traces")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      RouteCounts counts = route(path.substring(1, Math.max(1, path.length() - "/v1/traces".length())));
      counts.requests.increment();
      counts.bytes.add(body.length);
      if (!"gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        counts.spans.add(Math.max(0, OtlpSpanCount.of(body)));
      }
      Mode now = mode;
      switch (now) {
        case HANG -> {
          // Hold the request open until the mode changes or the receiver closes; then drop it unanswered.
          synchronized (modeChanged) {
            while (mode == Mode.HANG && !closed) {
              modeChanged.wait(1000);
            }
          }
          return;
        }
        case ERROR_500 -> {
          exchange.sendResponseHeaders(500, -1);
          return;
        }
        case TOO_MANY_429 -> {
          exchange.getResponseHeaders().add("Retry-After", "1");
          exchange.sendResponseHeaders(429, -1);
          return;
        }
        case SLOW -> Thread.sleep(slowDelay.toMillis());
        default -> { }
      }
      synchronized (bodies) {
        bodies.addLast(new Received(arrived, body));
        while (bodies.size() > keptBodies) {
          bodies.removeFirst();
        }
      }
      answered200.incrementAndGet();
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class RouteCounts {
    final LongAdder requests = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder spans = new LongAdder();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public synchronized void close() {
    closed = true;
    synchronized (modeChanged) {
      modeChanged.notifyAll();
    }
    if (server != null) {
      server.stop(0);
      server = null;
    }
    executor.shutdownNow();
  }
}
