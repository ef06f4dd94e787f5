package io.servo.worker.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A JDK HTTP server standing in for the callee of {@code http} assets: records every call, answers
 * 200 (or 500 under /fail, or 302 to /redirected under /redirect).
 */
public final class CallLog implements AutoCloseable {
  /** One call as the callee saw it: method, path, Authorization header and body. */
  public record Call(String method, String path, String authorization, String body) {}

  private final HttpServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, Runnable> hooks = new ConcurrentHashMap<>();
  private final Map<String, String> traceparents = new ConcurrentHashMap<>();

  private CallLog() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
      if (traceparent != null) {
        traceparents.put(path, traceparent);
      }
      calls.add(new Call(exchange.getRequestMethod(), path, auth,
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
      hooks.getOrDefault(path, () -> {}).run();
      byte[] answer = ("seen " + path + " with " + auth).getBytes(StandardCharsets.UTF_8);
      if (path.startsWith("/redirect")) {
        exchange.getResponseHeaders().set("Location", "/redirected");
      }
      exchange.sendResponseHeaders(
          path.startsWith("/fail") ? 500 : path.startsWith("/redirect") ? 302 : 200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
  }

  public static CallLog start() {
    return new CallLog();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Runs {@code hook} whenever {@code path} is called, before answering. */
  public void onCall(String path, Runnable hook) {
    hooks.put(path, hook);
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The {@code traceparent} header of the last call to {@code path}, or null. */
  public String traceparent(String path) {
    return traceparents.get(path);
  }

  public long count(String path) {
    return calls.stream().filter(c -> c.path().equals(path)).count();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
