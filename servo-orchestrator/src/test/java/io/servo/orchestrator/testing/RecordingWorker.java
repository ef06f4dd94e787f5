package io.servo.orchestrator.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

/**
 * A real HTTP peer standing in for the worker's {@code POST /execute}: records every request
 * (headers and body bytes) and answers with scripted statuses, then 200. After {@link #holdAnswers}
 * it answers nothing until told to, as a worker running a long execution does.
 */
public final class RecordingWorker implements AutoCloseable {
  /** One request as received. */
  public record Received(String method, String path, Map<String, String> headers, byte[] body, Instant at) {
    public String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** A scripted answer. */
  public record Answer(int status, Map<String, String> headers) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Deque<Answer> script = new ConcurrentLinkedDeque<>();
  /** Requests held open, by task name, in the order they arrived; guarded by itself. */
  private final Map<String, CountDownLatch> held = new LinkedHashMap<>();
  private volatile boolean holding;

  private RecordingWorker() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        byte[] body = in.readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        Headers h = exchange.getRequestHeaders();
        h.forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
        CountDownLatch release = null;
        if (holding) {
          release = new CountDownLatch(1);
          synchronized (held) {
            held.put(headers.getOrDefault("x-cloudtasks-taskname", "request-" + received.size()), release);
          }
        }
        received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
            headers, body, Instant.now()));
        if (release != null) {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // closing: the connection just ends
          }
        }
        Answer answer = script.poll();
        int status = answer == null ? 200 : answer.status();
        if (answer != null) {
          answer.headers().forEach(exchange.getResponseHeaders()::set);
        }
        exchange.sendResponseHeaders(status, -1);
      }
    });
    server.start();
  }

  public static RecordingWorker start() throws IOException {
    return new RecordingWorker();
  }

  /** The next requests get these statuses, in order; afterwards 200. */
  public RecordingWorker answer(int... statuses) {
    for (int s : statuses) {
      script.add(new Answer(s, Map.of()));
    }
    return this;
  }

  public RecordingWorker answer(int status, Map<String, String> headers) {
    script.add(new Answer(status, headers));
    return this;
  }

  /** From now on every request is recorded and then held open, unanswered, until released. */
  public RecordingWorker holdAnswers() {
    holding = true;
    return this;
  }

  /** Answers the held request of this task (X-CloudTasks-TaskName). */
  public void release(String taskName) {
    CountDownLatch latch;
    synchronized (held) {
      latch = held.remove(taskName);
    }
    if (latch == null) {
      throw new IllegalStateException("no request of task " + taskName + " is held; held: " + heldTasks());
    }
    latch.countDown();
  }

  /** Stops holding requests and answers every held one. */
  public void releaseAll() {
    holding = false;
    List<CountDownLatch> latches;
    synchronized (held) {
      latches = new ArrayList<>(held.values());
      held.clear();
    }
    latches.forEach(CountDownLatch::countDown);
  }

  /** The task names of the requests held open now, in the order they arrived. */
  public List<String> heldTasks() {
    synchronized (held) {
      return new ArrayList<>(held.keySet());
    }
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public List<Received> received() {
    return new ArrayList<>(received);
  }

  @Override
  public void close() {
    releaseAll();
    server.stop(0);
    executor.shutdownNow();
  }
}
