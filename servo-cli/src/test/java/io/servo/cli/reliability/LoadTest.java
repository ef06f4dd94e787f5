package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.servo.testing.otlp.OtlpReceiver;
import io.servo.testing.postgres.PostgresTestDatabase;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Thousands of executions, 32 in flight, traced at 100% into a backend that takes 1 s per request
 * in batches of 64 (so the exporter manages at most 64 spans a second, far fewer than the
 * executions make on any machine that runs this): all complete, nothing deadlocks, and the heap stays bounded because
 * spans the exporter cannot keep up with are dropped and counted instead of queued.
 *
 * <p>{@code -Dservo.heavy=true} runs 20,000 executions with 64 in flight instead.
 */
class LoadTest {
  private static final boolean HEAVY = Boolean.getBoolean("servo.heavy");
  private static final int EXECUTIONS = HEAVY ? 20_000 : 2_000;
  private static final int IN_FLIGHT = HEAVY ? 64 : 32;
  private static final long HEAP_GROWTH_BOUND = 64L * 1024 * 1024;

  private PostgresTestDatabase database;
  private OtlpReceiver backend;
  private InProcessServo servo;
  private Level previousLevel;

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger("io.servo")).setLevel(previousLevel);
    if (servo != null) {
      servo.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  void thousandsOfTracedExecutionsCompleteWithASlowExporterAndTheHeapStaysBounded() throws Exception {
    Logger servoLogs = (Logger) LoggerFactory.getLogger("io.servo");
    previousLevel = servoLogs.getLevel();
    servoLogs.setLevel(Level.WARN); // an INFO line per asset would dominate the run
    database = PostgresTestDatabase.create();
    backend = OtlpReceiver.start(OtlpReceiver.Mode.SLOW);
    // The exporter's pace must be below what any machine that runs this produces, or nothing is
    // dropped and the test fails by the machine's speed: 200 ms per request kept up at about 100
    // executions/s, and 1 s with batches of 512 (512 spans/s) kept up at 37 executions/s on a loaded
    // machine (2026-12-07). Batches of 64 at 1 s a request export at most 64 spans a second, so with
    // the 2,048-span queue the run drops spans unless it produced its ~26,000 spans at under 5.3
    // executions/s, when it would take over six minutes.
    backend.slowDelay(Duration.ofSeconds(1));
    backend.keepExports(0); // this JVM's heap is measured: the backend must not hold what it received
    servo = InProcessServo.builder(database.url())
        .env(Map.of(
            "SERVO_TRACE_ENABLED", "true",
            "SERVO_TRACE_SAMPLE_RATE", "1.0",
            "SERVO_TRACE_EXPORTER", "otlp",
            "SERVO_TRACE_ENDPOINT", backend.endpoint(),
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64",
            "SERVO_WORKER_THREADS", Integer.toString(IN_FLIGHT)))
        .orchestrator(b -> b.localQueue(q -> q.maxConcurrentDispatches(IN_FLIGHT)))
        .start();
    servo.deploy("load", "workflow: load\nassets: [{name: one, kind: sql, sql: SELECT 1}]");

    run(IN_FLIGHT * 4, IN_FLIGHT); // warm up pools, JIT and the exporter's queues
    long heapBefore = usedHeapAfterGc();
    long droppedBefore = servo.droppedSpans();

    long t0 = System.nanoTime();
    run(EXECUTIONS, IN_FLIGHT);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("load: %d executions in %.1f s (%.0f/s)%n", EXECUTIONS, seconds, EXECUTIONS / seconds);

    long heapAfter = usedHeapAfterGc();
    long dropped = servo.droppedSpans() - droppedBefore;
    System.out.printf("load: heap %d MB -> %d MB after GC, %d spans dropped, %d export requests answered%n",
        heapBefore >> 20, heapAfter >> 20, dropped, backend.answered200());
    assertThat(heapAfter - heapBefore).as("heap growth over the run").isLessThan(HEAP_GROWTH_BOUND);
    assertThat(dropped).as("the exporter could not keep up: spans were dropped and counted").isPositive();
    assertThat(backend.answered200()).as("and it kept exporting meanwhile").isPositive();
    assertThat(countSucceeded()).isEqualTo(EXECUTIONS + IN_FLIGHT * 4L);
  }

  /**
   * Starts {@code n} executions keeping {@code inFlight} of them unfinished at any time; returns
   * when all have ended. One poller reads which of the executions in flight have ended.
   */
  private void run(int n, int inFlight) throws Exception {
    Semaphore slots = new Semaphore(inFlight);
    Set<String> running = ConcurrentHashMap.newKeySet();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> error = new AtomicReference<>();
    ExecutorService clients = Executors.newFixedThreadPool(inFlight);
    Thread poller = new Thread(() -> {
      try (Connection c = database.connect(); PreparedStatement s = c.prepareStatement(
          "SELECT id, state FROM servo.executions WHERE id = ANY (?) AND state <> 'pending' AND state <> 'running'")) {
        while (!Thread.currentThread().isInterrupted()) {
          if (!running.isEmpty()) {
            Array ids = c.createArrayOf("text", running.toArray());
            s.setArray(1, ids);
            try (ResultSet r = s.executeQuery()) {
              while (r.next()) {
                if (running.remove(r.getString(1))) {
                  if (!"succeeded".equals(r.getString(2))) {
                    failed.incrementAndGet();
                  }
                  slots.release();
                }
              }
            }
          }
          Thread.sleep(20);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        error.set(e);
      }
    }, "load-poller");
    poller.setDaemon(true);
    poller.start();
    try {
      List<java.util.concurrent.Future<?>> posts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (!slots.tryAcquire(60, TimeUnit.SECONDS)) {
          throw new AssertionError("no execution ended for 60 s with " + running.size() + " in flight: deadlock?");
        }
        posts.add(clients.submit(() -> running.add(servo.start("load").id())));
      }
      for (var post : posts) {
        post.get();
      }
      if (!slots.tryAcquire(inFlight, 120, TimeUnit.SECONDS)) {
        throw new AssertionError(running.size() + " executions still in flight after 120 s");
      }
    } finally {
      poller.interrupt();
      clients.shutdownNow();
    }
    assertThat(error.get()).isNull();
    assertThat(failed.get()).as("executions that did not succeed").isZero();
  }

  private long countSucceeded() throws Exception {
    try (Connection c = database.connect();
        ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM servo.executions WHERE state = 'succeeded'")) {
      r.next();
      return r.getLong(1);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
