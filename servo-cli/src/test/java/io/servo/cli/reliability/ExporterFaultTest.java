package io.servo.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.testing.logs.CapturedLogs;
import io.servo.testing.otlp.OtlpReceiver.Mode;
import io.servo.core.execution.ExecutionState;
import io.servo.storage.Execution;
import io.servo.testing.otlp.OtlpReceiver;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.telemetry.ServoTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The trace backend misbehaves while executions run at 100% sampling through the real OTLP
 * exporter: it refuses connections, accepts and never answers, answers 500 or 429, or answers
 * slowly. Executions keep completing as fast as without tracing (export is not on the request
 * path), the span queue stays bounded (spans are dropped and counted instead of piling up), the
 * drops are logged at most once a minute per service, and once the backend answers 200 again the
 * spans of new executions arrive without a restart.
 */
class ExporterFaultTest {
  /** Small, so the faults fill it within a few dozen executions. */
  private static final int QUEUE = 128;
  private static final int EXECUTIONS = 48;
  private static final int IN_FLIGHT = 6;
  private static final Duration EACH_EXECUTION_BOUND = Duration.ofSeconds(10);
  private static final String WORKFLOW = """
      workflow: traced
      assets:
        - {name: a, kind: sql, sql: SELECT 1}
        - {name: b, kind: sql, sql: SELECT 2, depends_on: [a]}
        - {name: c, kind: sql, sql: SELECT 3, depends_on: [b]}
      """;

  private PostgresTestDatabase database;
  private OtlpReceiver receiver;
  private InProcessServo servo;

  @AfterEach
  void stop() {
    if (servo != null) {
      servo.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (database != null) {
      database.close();
    }
  }

  @ParameterizedTest(name = "backend {0}")
  @EnumSource(value = Mode.class, names = {"REFUSE", "HANG", "ERROR_500", "TOO_MANY_429", "SLOW"})
  void executionsKeepCompletingWhileTheTraceBackendFailsAndExportResumesWhenItRecovers(Mode fault)
      throws Exception {
    database = PostgresTestDatabase.create();
    receiver = OtlpReceiver.start(fault);
    try (CapturedLogs telemetryLogs = CapturedLogs.of(ServoTelemetry.class)) {
      servo = InProcessServo.builder(database.url())
          .env(Map.of(
              "SERVO_TRACE_ENABLED", "true",
              "SERVO_TRACE_SAMPLE_RATE", "1.0",
              "SERVO_TRACE_EXPORTER", "otlp",
              "SERVO_TRACE_ENDPOINT", receiver.endpoint(),
              "OTEL_BSP_MAX_QUEUE_SIZE", Integer.toString(QUEUE),
              "OTEL_BSP_SCHEDULE_DELAY", "100",
              "OTEL_EXPORTER_OTLP_TIMEOUT", "2000",
              "SERVO_WORKER_THREADS", "8"))
          .start();
      servo.deploy("traced", WORKFLOW);

      long t0 = System.nanoTime();
      List<Duration> durations = runConcurrently(EXECUTIONS, IN_FLIGHT);
      double seconds = (System.nanoTime() - t0) / 1e9;
      long dropped = servo.droppedSpans();
      System.out.printf("backend %s: %d executions in %.1f s, slowest %d ms, %d spans dropped, %d export requests%n",
          fault, EXECUTIONS, seconds, durations.stream().mapToLong(Duration::toMillis).max().orElse(0),
          dropped, receiver.requests());

      assertThat(durations).as("every execution completes within %s while the backend is %s",
          EACH_EXECUTION_BOUND, fault).allSatisfy(d -> assertThat(d).isLessThan(EACH_EXECUTION_BOUND));
      if (fault == Mode.ERROR_500) {
        // A 500 is final for the exporter: the batch fails at once, so the queue never backs up.
        // The spans of those batches are lost, counted and reported as refused by the backend.
        assertThat(receiver.requests()).as("the exporter kept trying the backend").isPositive();
        assertThat(dropped).as("spans in the exports the backend refused with 500 are counted").isPositive();
        assertThat(telemetryLogs.containing("Dropped"))
            .as("Servo's report names the refusal and its reason")
            .anySatisfy(line -> assertThat(line)
                .containsPattern("[1-9]\\d* refused by the backend or never delivered \\(last error: HTTP 500\\)"));
      } else {
        assertThat(dropped).as("spans that could not be exported in time are dropped and counted, not queued")
            .isPositive();
      }
      List<String> dropLines = telemetryLogs.containing("Dropped");
      assertThat(dropLines).as("drops are logged at most once a minute per service: %s", dropLines)
          .hasSizeLessThanOrEqualTo(2);

      receiver.setMode(Mode.OK);
      // Spans ended while the queue is still full of the outage's backlog are dropped (that is the
      // bound working), so keep starting executions until one's spans arrive.
      long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
      InProcessServo.Started after = null;
      boolean arrived = false;
      while (!arrived && System.nanoTime() < deadline) {
        after = servo.start("traced");
        assertThat(servo.awaitEnded(after.id(), EACH_EXECUTION_BOUND)).isPresent()
            .get().extracting(Execution::state).isEqualTo(ExecutionState.SUCCEEDED);
        long waitUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (!(arrived = receiver.received(after.traceId())) && System.nanoTime() < waitUntil) {
          Thread.sleep(100);
        }
      }
      assertThat(arrived)
          .as("spans of executions after the backend recovered reach it without a restart"
              + " (requests %d, answered 200: %d, dropped %d)",
              receiver.requests(), receiver.answered200(), servo.droppedSpans())
          .isTrue();
    }
  }

  /**
   * A backend down for a while under steady traffic: every way Servo's process reports the outage
   * (Servo's own line, and whatever the OpenTelemetry SDK logs at WARNING or above through
   * java.util.logging) together say it at most once a minute per service, and Servo's line does say
   * it.
   *
   * <p>Before servo-telemetry's fix the SDK's {@code BatchSpanProcessor} logged "dropped N span(s)
   * since the last export" after every export that saw drops, and its OTLP exporter logged every
   * failed export: 38 drop warnings in these 20 s, on stderr, outside Servo's log format.
   */
  @Test
  void aSustainedOutageIsLoggedAtMostOnceAMinutePerService() throws Exception {
    database = PostgresTestDatabase.create();
    receiver = OtlpReceiver.start(Mode.REFUSE);
    java.util.logging.Logger sdkLogger = java.util.logging.Logger.getLogger("io.opentelemetry");
    List<String> sdkLines = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
          sdkLines.add(record.getLoggerName() + ": " + record.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    sdkLogger.addHandler(handler);
    try (CapturedLogs telemetryLogs = CapturedLogs.of(ServoTelemetry.class)) {
      servo = InProcessServo.builder(database.url())
          .env(Map.of(
              "SERVO_TRACE_ENABLED", "true",
              "SERVO_TRACE_SAMPLE_RATE", "1.0",
              "SERVO_TRACE_EXPORTER", "otlp",
              "SERVO_TRACE_ENDPOINT", receiver.endpoint(),
              "OTEL_BSP_MAX_QUEUE_SIZE", Integer.toString(QUEUE),
              "OTEL_BSP_SCHEDULE_DELAY", "100",
              "OTEL_EXPORTER_OTLP_TIMEOUT", "1000"))
          .start();
      servo.deploy("traced", WORKFLOW);
      long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < until) {
        runConcurrently(IN_FLIGHT, IN_FLIGHT);
      }
      List<String> servoReports = telemetryLogs.containing("Dropped");
      List<String> dropReports = new ArrayList<>(servoReports);
      dropReports.addAll(sdkLines);
      assertThat(dropReports).as("drop and export failure reports over 20 s of outage")
          .hasSizeLessThanOrEqualTo(2);
      assertThat(servoReports).as("Servo reports the outage").isNotEmpty();
    } finally {
      sdkLogger.removeHandler(handler);
    }
  }

  /** Runs {@code n} executions, {@code inFlight} at a time; the time from POST to ended state of each. */
  private List<Duration> runConcurrently(int n, int inFlight) throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(inFlight);
    try {
      List<Future<Duration>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(clients.submit(() -> {
          long start = System.nanoTime();
          InProcessServo.Started started = servo.start("traced");
          Optional<Execution> ended = servo.awaitEnded(started.id(), EACH_EXECUTION_BOUND.multipliedBy(3));
          assertThat(ended).as("execution %s ended", started.id()).isPresent();
          assertThat(ended.get().state()).isEqualTo(ExecutionState.SUCCEEDED);
          return Duration.ofNanos(System.nanoTime() - start);
        }));
      }
      List<Duration> durations = new ArrayList<>();
      for (Future<Duration> f : futures) {
        durations.add(f.get());
      }
      return durations;
    } finally {
      clients.shutdownNow();
    }
  }
}
