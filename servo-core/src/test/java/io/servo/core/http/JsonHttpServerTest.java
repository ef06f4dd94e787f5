package io.servo.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JsonHttpServerTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private final List<String> observed = new ArrayList<>();
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private JsonHttpServer server;

  private final List<Route> routes = List.of(
      Route.of("GET", "/health", request -> JsonAnswer.of(200, Map.of("status", "ok"))).evenWhenOverloaded(),
      Route.of("PUT", "/v1/things/{name}", request -> JsonAnswer.of(201, Map.of(
          "name", request.pathVariable("name"),
          "bytes", request.body(8, "the body is larger than 8 bytes: send less").length))),
      Route.of("GET", "/v1/things/{name}", request -> {
        throw new HttpError(409, "thing " + request.pathVariable("name") + " is busy: wait",
            List.of("one", "two"), Map.of("Retry-After", "3"), null);
      }),
      Route.of("POST", "/v1/block", request -> {
        entered.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return JsonAnswer.of(200, Map.of("released", true));
      }),
      Route.of("POST", "/v1/fail", request -> {
        throw new IllegalStateException("a bug");
      }));

  private void start(int threads, int queued) {
    server = JsonHttpServer.builder("testservice", routes)
        .requestLimits(threads, queued)
        .retryAfterSeconds(7)
        .observer((exchange, route) -> (status, error) -> {
          synchronized (observed) {
            observed.add(route + " " + status + (error == null ? "" : " " + error.getMessage()));
          }
        })
        .build();
    server.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    if (server != null) {
      server.close(Duration.ofSeconds(5));
    }
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body))
        .build();
    return client.send(request, BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return Json.mapper().readTree(response.body());
  }

  @Test
  void routesByMethodAndTemplateAndAnswersJson() throws Exception {
    start(2, 2);

    HttpResponse<String> put = send("PUT", "/v1/things/a%2Fb", "1234");

    assertThat(put.statusCode()).isEqualTo(201);
    assertThat(put.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(json(put).get("name").asText()).isEqualTo("a%2Fb");
    assertThat(json(put).get("bytes").asInt()).isEqualTo(4);
    assertThat(observed).containsExactly("/v1/things/{name} 201");
  }

  @Test
  void aLiteralSegmentMatchesItsPercentDecodedFormAndAnEncodedSlashStaysInAVariable() throws Exception {
    start(2, 2);

    assertThat(send("GET", "/%68ealth", null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/v1/things/a%2F..", null).statusCode()).isEqualTo(409);
    assertThat(send("GET", "/v1%2Fthings/x", null).statusCode()).isEqualTo(404);
    assertThat(send("GET", "/v1/things/", null).statusCode()).isEqualTo(404);
  }

  @Test
  void unknownPathIs404NamingTheRoutesAndWrongMethodIs405WithAllow() throws Exception {
    start(2, 2);

    HttpResponse<String> unknown = send("GET", "/v1/nothing", null);
    HttpResponse<String> wrongMethod = send("DELETE", "/v1/things/x", null);

    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("error").asText())
        .isEqualTo("no route GET /v1/nothing: the testservice serves GET /health, PUT /v1/things/{name},"
            + " GET /v1/things/{name}, POST /v1/block, POST /v1/fail");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).contains("GET, PUT");
    assertThat(json(wrongMethod).get("error").asText()).isEqualTo(
        "method DELETE is not allowed on /v1/things/x: use GET, PUT");
    assertThat(observed).containsExactly("null 404", "/v1/things/{name} 405");
  }

  @Test
  void anHttpErrorIsAJsonBodyWithItsProblemsAndHeaders() throws Exception {
    start(2, 2);

    HttpResponse<String> busy = send("GET", "/v1/things/x", null);

    assertThat(busy.statusCode()).isEqualTo(409);
    assertThat(busy.headers().firstValue("Retry-After")).contains("3");
    assertThat(busy.body()).isEqualTo("{\"error\":\"thing x is busy: wait\",\"problems\":[\"one\",\"two\"]}");
  }

  @Test
  void anUnexpectedExceptionIs500AndTheObserverSeesIt() throws Exception {
    start(2, 2);

    HttpResponse<String> failed = send("POST", "/v1/fail", null);

    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(json(failed).get("error").asText())
        .isEqualTo("internal error: the testservice log has the details; retrying may help");
    assertThat(observed).containsExactly("/v1/fail 500 a bug");
  }

  @Test
  void aBodyOverTheLimitIs413WhetherItsLengthIsDeclaredOrNot() throws Exception {
    start(2, 2);

    HttpResponse<String> declared = send("PUT", "/v1/things/x", "123456789");
    HttpResponse<String> chunked = client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/things/x"))
            .PUT(BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream("123456789".getBytes(StandardCharsets.UTF_8))))
            .build(),
        BodyHandlers.ofString());

    for (HttpResponse<String> r : List.of(declared, chunked)) {
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(r.headers().firstValue("Connection")).contains("close");
      assertThat(json(r).get("error").asText()).isEqualTo("the body is larger than 8 bytes: send less");
    }
    assertThat(send("PUT", "/v1/things/x", "12345678").statusCode()).isEqualTo(201);
  }

  @Test
  void whenEveryThreadIsBusyRequestsGet503WithRetryAfterButProbesAreServed() throws Exception {
    start(1, 1);
    CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> sendUnchecked("/v1/block"));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    // Fills the one queue slot without a client waiting on it: a raw request left unanswered until release.
    try (Socket queued = new Socket("127.0.0.1", server.port())) {
      OutputStream out = queued.getOutputStream();
      out.write("POST /v1/block HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      awaitInFlight(2);

      HttpResponse<String> refused = send("POST", "/v1/fail", null);
      HttpResponse<String> probe = send("GET", "/health", null);

      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).contains("7");
      assertThat(json(refused).get("error").asText())
          .isEqualTo("the testservice is overloaded: retry after the Retry-After delay");
      assertThat(probe.statusCode()).isEqualTo(200);
      release.countDown();
      assertThat(running.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      InputStream in = queued.getInputStream();
      assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    }
    assertThat(observed).doesNotContain("/v1/fail 500 a bug").contains("/health 200");
  }

  @Test
  void closeWaitsForTheRequestInFlightAndRefusesNewOnes() throws Exception {
    start(2, 2);
    CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> sendUnchecked("/v1/block"));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    int port = server.port();

    CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> server.close(Duration.ofSeconds(10)));
    HttpResponse<String> refused = awaitRefusal(port);
    assertThat(closing).isNotDone();
    release.countDown();

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).contains("7");
    assertThat(json(refused).get("error").asText())
        .isEqualTo("the testservice is shutting down: retry after the Retry-After delay");
    assertThat(running.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(closing.get(10, TimeUnit.SECONDS)).isTrue();
    server = null;
  }

  /** Polls until close() has begun refusing (an event, not a delay: each poll gets an answer). */
  private HttpResponse<String> awaitRefusal(int port) throws Exception {
    HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
    while (true) {
      HttpResponse<String> r = client.send(probe, BodyHandlers.ofString());
      if (r.statusCode() == 503) {
        return r;
      }
    }
  }

  private void awaitInFlight(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.inFlight() < n && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(server.inFlight()).isEqualTo(n);
  }

  private HttpResponse<String> sendUnchecked(String path) {
    try {
      return send("POST", path, null);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
