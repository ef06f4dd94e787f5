package io.servo.bench.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * A local OTLP/HTTP endpoint: accepts {@code POST /{configuration}/v1/traces}, reads the body, answers
 * 200 with an empty {@code ExportTraceServiceResponse}, and counts requests and bytes per
 * configuration, so every configuration pays the real cost of exporting without a collector.
 */
public final class OtlpReceiver implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
    Thread thread = new Thread(runnable, "otlp-receiver");
    thread.setDaemon(true);
    return thread;
  });
  private final Map<String, LongAdder> bytes = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> spans = new ConcurrentHashMap<>();

  public OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** The endpoint of one configuration, a full traces URL. */
  public String endpoint(Configuration configuration) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + configuration.label() + "/v1/traces";
  }

  long bytes(Configuration configuration) {
    return bytes.computeIfAbsent(configuration.label(), k -> new LongAdder()).sum();
  }

  public long requests(Configuration configuration) {
    return requests.computeIfAbsent(configuration.label(), k -> new LongAdder()).sum();
  }

  /** Spans received (requests that were not plain protobuf, such as gzip, count none). */
  public long spans(Configuration configuration) {
    return spans.computeIfAbsent(configuration.label(), k -> new LongAdder()).sum();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!"POST".equals(exchange.getRequestMethod()) || !path.endsWith("/v1/traces")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      String configuration = path.substring(1, Math.max(1, path.indexOf('/', 1)));
      bytes.computeIfAbsent(configuration, k -> new LongAdder()).add(body.length);
      if (!"gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        spans.computeIfAbsent(configuration, k -> new LongAdder()).add(Math.max(0, OtlpSpanCount.of(body)));
      }
      requests.computeIfAbsent(configuration, k -> new LongAdder()).increment();
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
