package io.servo.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servo.core.execution.ExecutionState;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing waits only while requests run: JDK 17's {@code HttpServer.stop(n)} would wait the whole
 * grace even when idle (JDK-8304065). It leaves no thread of the worker's HTTP client behind.
 */
class WorkerShutdownTest {
  @TempDir Path dir;
  private CallLog callee;
  private WorkerHarness worker;
  private Set<Thread> httpClientThreadsBefore;

  @BeforeEach
  void setUp() {
    httpClientThreadsBefore = httpClientThreads();
    callee = CallLog.start();
    worker = WorkerHarness.start(dir, Map.of(),
        builder -> builder.shutdownGrace(WorkerServer.DEFAULT_SHUTDOWN_GRACE));
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
  }

  @Test
  void anIdleWorkerClosesWellWithinItsGrace() {
    assertThat(worker.send(java.net.http.HttpRequest.newBuilder(worker.uri("/health")).build())
        .statusCode()).isEqualTo(200);

    long start = System.nanoTime();
    worker.stopWorker();

    // A generous bound, not a benchmark: an idle close needs none of the grace.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aRunningExecutionFinishesAndCloseReturnsWhenItHas() throws Exception {
    var task = worker.newExecution("""
        workflow: draining
        assets:
          - name: slow
            kind: http
            url: %s/slow
        """.formatted(callee.baseUrl()));
    CountDownLatch entered = new CountDownLatch(1);
    callee.onCall("/slow", () -> {
      entered.countDown();
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    CompletableFuture<HttpResponse<String>> running =
        CompletableFuture.supplyAsync(() -> worker.post(task.body()));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    long start = System.nanoTime();
    worker.stopWorker();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WorkerServer.DEFAULT_SHUTDOWN_GRACE);
    assertThat(running.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(worker.storage().executions().find("default", task.executionId()).orElseThrow().state())
        .isEqualTo(ExecutionState.SUCCEEDED);
  }

  @Test
  void closingStopsTheThreadsOfTheWorkersHttpClient() {
    var task = worker.newExecution("""
        workflow: ping
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(callee.baseUrl()));
    assertThat(worker.post(task.body()).statusCode()).isEqualTo(200);
    Set<Thread> started = httpClientThreads();
    started.removeAll(httpClientThreadsBefore);
    assertThat(started).as("the worker's HTTP client threads").isNotEmpty();

    worker.stopWorker();

    await().atMost(Duration.ofSeconds(30)).until(() -> started.stream().noneMatch(Thread::isAlive));
  }

  private static Set<Thread> httpClientThreads() {
    Set<Thread> threads = new HashSet<>(Thread.getAllStackTraces().keySet());
    threads.removeIf(thread -> !thread.getName().startsWith("servo-worker-http-client-"));
    return threads;
  }
}
