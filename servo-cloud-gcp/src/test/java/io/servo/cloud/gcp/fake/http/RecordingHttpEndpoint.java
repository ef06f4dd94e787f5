package io.servo.cloud.gcp.fake.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A test HTTP endpoint on 127.0.0.1 that records every request and answers with queued statuses
 * (then 200): stands in for the worker in queue tests and for the target of the front-end proxy.
 */
public final class RecordingHttpEndpoint implements AutoCloseable {
  /** One request as received: header names in lower case, the first value of each. */
  public record Request(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();

  private RecordingHttpEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static RecordingHttpEndpoint start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
        Thread t = new Thread(runnable, "recording-http-endpoint");
        t.setDaemon(true);
        return t;
      });
      server.setExecutor(executor);
      RecordingHttpEndpoint endpoint = new RecordingHttpEndpoint(server, executor);
      server.createContext("/", exchange -> {
        try (exchange; InputStream in = exchange.getRequestBody()) {
          byte[] body = in.readAllBytes();
          endpoint.requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
              firstValues(exchange.getRequestHeaders()), body));
          Integer status = endpoint.statuses.poll();
          byte[] reply = ("{\"echo\":" + body.length + "}").getBytes();
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.getResponseHeaders().set("X-Test-Reply", "yes");
          exchange.sendResponseHeaders(status == null ? 200 : status, reply.length);
          exchange.getResponseBody().write(reply);
        }
      });
      server.start();
      return endpoint;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next requests get these statuses, in order; later ones get 200. */
  public void respondWith(Integer... statuses) {
    this.statuses.addAll(Arrays.asList(statuses));
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public URI url() {
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getAddress().getHostAddress() + ":" + address.getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static Map<String, String> firstValues(Headers headers) {
    Map<String, String> result = new TreeMap<>();
    headers.forEach((name, values) -> result.put(name.toLowerCase(Locale.ROOT), values.get(0)));
    return result;
  }
}
