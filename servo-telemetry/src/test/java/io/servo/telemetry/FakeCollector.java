package io.servo.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** An in-process OTLP/HTTP receiver: POST /v1/traces with a protobuf ExportTraceServiceRequest. */
final class FakeCollector implements AutoCloseable {

  enum Mode { ANSWER, NEVER_ANSWER, REFUSE }

  record Received(Map<String, String> headers, ExportTraceServiceRequest request) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-collector");
    t.setDaemon(true);
    return t;
  });
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
  private final Mode mode;
  private final int refusalStatus;
  private final byte[] refusalBody;

  private FakeCollector(Mode mode) throws IOException {
    this(mode, 0, new byte[0]);
  }

  private FakeCollector(Mode mode, int refusalStatus, byte[] refusalBody) throws IOException {
    this.mode = mode;
    this.refusalStatus = refusalStatus;
    this.refusalBody = refusalBody;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static FakeCollector start() throws IOException {
    return new FakeCollector(Mode.ANSWER);
  }

  static FakeCollector startNeverAnswering() throws IOException {
    return new FakeCollector(Mode.NEVER_ANSWER);
  }

  /** Answers every export with {@code status} (an error such as 500 or 400) and {@code body}. */
  static FakeCollector startRefusing(int status, byte[] body) throws IOException {
    return new FakeCollector(Mode.REFUSE, status, body);
  }

  /** Export requests that reached the collector, answered or not. */
  int requests() {
    return requests.get();
  }

  URI baseUri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  List<Received> received() {
    return received;
  }

  List<Span> spans() {
    List<Span> spans = new ArrayList<>();
    for (Received r : received) {
      for (ResourceSpans rs : r.request().getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          spans.addAll(ss.getSpansList());
        }
      }
    }
    return spans;
  }

  Map<String, String> resourceAttributes() {
    Map<String, String> attributes = new HashMap<>();
    for (Received r : received) {
      for (ResourceSpans rs : r.request().getResourceSpansList()) {
        attributes.putAll(strings(rs.getResource().getAttributesList()));
      }
    }
    return attributes;
  }

  static Map<String, String> strings(List<KeyValue> keyValues) {
    Map<String, String> out = new HashMap<>();
    for (KeyValue kv : keyValues) {
      out.put(kv.getKey(), kv.getValue().hasStringValue()
          ? kv.getValue().getStringValue() : kv.getValue().toString().trim());
    }
    return out;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")
          || !exchange.getRequestURI().getPath().equals("/v1/traces")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      requests.incrementAndGet();
      if (mode == Mode.NEVER_ANSWER) {
        closing.await(60, TimeUnit.SECONDS);
        return;
      }
      if (mode == Mode.REFUSE) {
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(refusalStatus, refusalBody.length == 0 ? -1 : refusalBody.length);
        if (refusalBody.length > 0) {
          exchange.getResponseBody().write(refusalBody);
        }
        return;
      }
      Map<String, String> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
      received.add(new Received(headers, ExportTraceServiceRequest.parseFrom(body)));
      byte[] response = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
      if (response.length > 0) {
        exchange.getResponseBody().write(response);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
