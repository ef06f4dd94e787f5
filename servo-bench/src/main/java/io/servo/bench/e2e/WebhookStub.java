package io.servo.bench.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The target of the workflow's {@code http} asset: {@code POST /hook} answers 200 {@code ok}. */
final class WebhookStub implements AutoCloseable {
  private static final byte[] OK = "ok".getBytes(StandardCharsets.UTF_8);
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
    Thread thread = new Thread(runnable, "webhook-stub");
    thread.setDaemon(true);
    return thread;
  });

  WebhookStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/hook", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream body = exchange.getRequestBody()) {
      body.readAllBytes();
      exchange.sendResponseHeaders(200, OK.length);
      exchange.getResponseBody().write(OK);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
