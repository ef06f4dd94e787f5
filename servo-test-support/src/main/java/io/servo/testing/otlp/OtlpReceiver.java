package io.servo.testing.otlp;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace backend on 127.0.0.1 whose behaviour a test switches at will: answer 200,
 * refuse connections (nothing listens on its port), accept and never answer, answer an error (500,
 * 429, or any status and body), or answer slowly. Requests are decoded with the opentelemetry-proto
 * classes; the most recent ones answered 200 are kept (bounded) with their headers, so a test can
 * look at their spans, attributes and resources.
 *
 * <p>Several senders can share it, each on its own route ({@link #tracesEndpoint(String)}): it
 * counts requests, bytes and spans per route, so each pays the real cost of exporting without a
 * collector (servo-bench's configurations do).
 */
public final class OtlpReceiver implements AutoCloseable {
  /** How the receiver answers. */
  public enum Mode { OK, REFUSE, HANG, ERROR_500, TOO_MANY_429, SLOW, REJECT }

  /** One export answered 200: its request headers (names in lower case) and its decoded body. */
  public record Export(long atNanos, Map<String, String> headers, ExportTraceServiceRequest request) {
    /** Its spans, in order. */
    public List<Span> spans() {
      List<Span> spans = new ArrayList<>();
      for (ResourceSpans rs : request.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          spans.addAll(ss.getSpansList());
        }
      }
      return spans;
    }
  }

  private static final String TRACES_PATH = "/v1/traces";

  private volatile int keptExports = 256;

  private final int port;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "otlp-receiver");
    t.setDaemon(true);
    return t;
  });
  /** Exports answered 200, oldest first. */
  private final Deque<Export> exports = new ArrayDeque<>();
  private final AtomicLong requests = new AtomicLong();
  private final Map<String, RouteCounts> routes = new ConcurrentHashMap<>();
  private final AtomicLong answered200 = new AtomicLong();
  private final Object modeChanged = new Object();
  private volatile Mode mode;
  private volatile Duration slowDelay = Duration.ofSeconds(2);
  private volatile int rejectStatus = 400;
  private volatile byte[] rejectBody = new byte[0];
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

  /** A receiver that answers every export 200. */
  public static OtlpReceiver start() throws IOException {
    return start(Mode.OK);
  }

  /** A receiver that answers every export with {@code status} (an error such as 500 or 400) and {@code body}. */
  public static OtlpReceiver rejecting(int status, byte[] body) throws IOException {
    OtlpReceiver receiver = start(Mode.REJECT);
    receiver.rejectStatus = status;
    receiver.rejectBody = body.clone();
    return receiver;
  }

  /** A receiver that answers 200 and keeps no exports, for senders that only need counting. */
  public static OtlpReceiver counting() throws IOException {
    OtlpReceiver receiver = start(Mode.OK);
    receiver.keepExports(0);
    return receiver;
  }

  /** {@code http://127.0.0.1:<port>}: SERVO_TRACE_ENDPOINT (the exporter appends /v1/traces). */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The full traces URL of one {@code route} (a path segment): {@code http://127.0.0.1:<port>/<route>/v1/traces}. */
  public String tracesEndpoint(String route) {
    return endpoint() + "/" + route + TRACES_PATH;
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

  /** How many of the latest exports to keep for {@link #exports()} (default 256; 0 under load, to measure the heap). */
  public void keepExports(int count) {
    this.keptExports = count;
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

  /** Spans received on {@code route}, in any mode (a body that is not an OTLP request counts none). */
  public long spans(String route) {
    return route(route).spans.sum();
  }

  private RouteCounts route(String route) {
    return routes.computeIfAbsent(route, k -> new RouteCounts());
  }

  /** The exports answered 200 that are still kept, oldest first. */
  public List<Export> exports() {
    synchronized (exports) {
      return List.copyOf(exports);
    }
  }

  /** The spans of {@link #exports()}, in the order they arrived. */
  public List<Span> spans() {
    return exports().stream().flatMap(e -> e.spans().stream()).toList();
  }

  /** The string form of every resource attribute of {@link #exports()}; a later value wins. */
  public Map<String, String> resourceAttributes() {
    Map<String, String> attributes = new HashMap<>();
    for (Export export : exports()) {
      for (ResourceSpans rs : export.request().getResourceSpansList()) {
        attributes.putAll(strings(rs.getResource().getAttributesList()));
      }
    }
    return attributes;
  }

  /** {@code keyValues} as a map: string values as they are, others in protobuf text form. */
  public static Map<String, String> strings(List<KeyValue> keyValues) {
    Map<String, String> out = new HashMap<>();
    for (KeyValue kv : keyValues) {
      out.put(kv.getKey(), kv.getValue().hasStringValue()
          ? kv.getValue().getStringValue() : kv.getValue().toString().trim());
    }
    return out;
  }

  /** Whether an export answered 200 carried a span of {@code traceIdHex}. */
  public boolean received(String traceIdHex) {
    return arrival(traceId(traceIdHex)).isPresent();
  }

  /**
   * When ({@link System#nanoTime()}) the first export arrived that carried a span of {@code
   * traceIdHex} named {@code spanName}.
   */
  public OptionalLong arrivalOf(String traceIdHex, String spanName) {
    return arrival(traceId(traceIdHex).and(s -> s.getName().equals(spanName)));
  }

  private static Predicate<Span> traceId(String hex) {
    ByteString id = ByteString.copyFrom(HexFormat.of().parseHex(hex));
    return s -> s.getTraceId().equals(id);
  }

  private OptionalLong arrival(Predicate<Span> span) {
    for (Export export : exports()) {
      if (export.spans().stream().anyMatch(span)) {
        return OptionalLong.of(export.atNanos());
      }
    }
    return OptionalLong.empty();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      long arrived = System.nanoTime();
      String path = exchange.getRequestURI().getPath();
      if (!"POST".equals(exchange.getRequestMethod()) || !path.endsWith(TRACES_PATH)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      RouteCounts counts = route(path.substring(1, Math.max(1, path.length() - TRACES_PATH.length())));
      counts.requests.increment();
      counts.bytes.add(body.length);
      boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
      // Decoded whole only when kept: counting alone walks the fields, about 100 times cheaper
      // (a 512-span, 167 kB request, measured on the 2-core machine under load: 6–14 µs against
      // 0.8–1.2 ms decoded), and servo-bench's driver counts thousands of spans a second on the
      // machine it measures.
      ExportTraceServiceRequest request = null;
      int spans;
      try {
        byte[] raw = gzip ? new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes() : body;
        if (keptExports > 0) {
          request = ExportTraceServiceRequest.parseFrom(raw);
          spans = request.getResourceSpansList().stream().flatMap(rs -> rs.getScopeSpansList().stream())
              .mapToInt(ScopeSpans::getSpansCount).sum();
        } else {
          spans = countSpans(CodedInputStream.newInstance(raw), 0);
        }
      } catch (IOException e) { // not protobuf (InvalidProtocolBufferException), or not gzip after all
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      counts.spans.add(spans);
      switch (mode) {
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
        case REJECT -> {
          byte[] answer = rejectBody;
          exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
          exchange.sendResponseHeaders(rejectStatus, answer.length == 0 ? -1 : answer.length);
          if (answer.length > 0) {
            exchange.getResponseBody().write(answer);
          }
          return;
        }
        case SLOW -> Thread.sleep(slowDelay.toMillis());
        default -> { }
      }
      Map<String, String> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
      synchronized (exports) {
        if (request != null) {
          exports.addLast(new Export(arrived, Map.copyOf(headers), request));
        }
        while (exports.size() > keptExports) {
          exports.removeFirst();
        }
      }
      answered200.incrementAndGet();
      // An empty ExportTraceServiceResponse is zero bytes: full success.
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The field that holds the next level: request → resource spans → scope spans → spans. */
  private static final int[] SPAN_PATH = {ExportTraceServiceRequest.RESOURCE_SPANS_FIELD_NUMBER,
      ResourceSpans.SCOPE_SPANS_FIELD_NUMBER, ScopeSpans.SPANS_FIELD_NUMBER};

  /** The spans below {@code depth} of {@link #SPAN_PATH} in {@code in}, without decoding them. */
  private static int countSpans(CodedInputStream in, int depth) throws IOException {
    int spans = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (WireFormat.getTagFieldNumber(tag) != SPAN_PATH[depth]
          || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        in.skipField(tag);
      } else if (depth == SPAN_PATH.length - 1) {
        spans++;
        in.skipField(tag);
      } else {
        int limit = in.pushLimit(in.readRawVarint32());
        spans += countSpans(in, depth + 1);
        in.popLimit(limit);
      }
    }
    return spans;
  }

  private static final class RouteCounts {
    final LongAdder requests = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder spans = new LongAdder();
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
