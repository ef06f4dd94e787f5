package io.servo.worker;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.servo.worker.support.CallLog;
import io.servo.worker.support.WorkerHarness;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An {@code http} asset starts no thread of its own once the worker is warm, also on the 1–2 CPUs of
 * a small Cloud Run instance. There {@code ForkJoinPool.commonPool()} has parallelism 1, so
 * {@code CompletableFuture}'s default async executor starts a new thread per task, and the JDK's
 * {@code HttpClient.sendAsync} completes every exchange on that executor.
 *
 * <p>Each case runs a real worker (SQLite, a local callee) in a child JVM limited to one CPU, the
 * only way to get that common pool in a test: its parallelism is fixed when the JVM starts.
 */
class HttpAssetThreadsTest {
  private static final int WARM_UP = 20;
  private static final int MEASURED = 40;
  /** Room for a pool thread started late; a thread per asset would be {@link #MEASURED}. */
  private static final int MOST_THREADS_STARTED = 3;
  private static final Pattern RESULT =
      Pattern.compile("common pool parallelism (\\d+); threads started during \\d+ http assets: (\\d+)");

  @ParameterizedTest
  @ValueSource(strings = {"untraced", "traced"})
  void httpAssetsStartNoThreadPerCallOnOneCpu(String tracing, @TempDir Path dir) throws Exception {
    Path log = dir.resolve("child.log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=1",
        "-cp", System.getProperty("java.class.path"),
        HttpAssetThreadsTest.class.getName(), tracing, dir.toString()));
    Process child = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    // A bound on a hung child only, not a timing assertion.
    boolean exited = child.waitFor(3, TimeUnit.MINUTES);
    if (!exited) {
      child.destroyForcibly().waitFor();
    }
    String output = Files.readString(log);
    assertThat(exited).as("child finished; its output:%n%s", output).isTrue();
    assertThat(child.exitValue()).as("child's exit status; its output:%n%s", output).isZero();
    Matcher result = RESULT.matcher(output);
    assertThat(result.find()).as("child's output:%n%s", output).isTrue();
    assertThat(Integer.parseInt(result.group(1))).as("the child reproduces a 1-CPU common pool")
        .isEqualTo(1);
    assertThat(Integer.parseInt(result.group(2)))
        .as("threads started while the warm worker ran %d http assets (%s)", MEASURED, tracing)
        .isLessThanOrEqualTo(MOST_THREADS_STARTED);
  }

  /** The child: {@code untraced|traced DIR}; prints the common pool's parallelism and the count. */
  public static void main(String[] args) throws Exception {
    boolean traced = args[0].equals("traced");
    Path dir = Path.of(args[1]);
    OpenTelemetry otel = traced
        ? OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create())).build())
            .build()
        : OpenTelemetry.noop();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (CallLog callee = CallLog.start();
         WorkerHarness worker = WorkerHarness.start(dir, Map.of(), b -> b.openTelemetry(otel))) {
      String workflow = """
          workflow: ping
          assets:
            - name: ping
              kind: http
              url: %s/ping
          """.formatted(callee.baseUrl());
      for (int i = 0; i < WARM_UP; i++) {
        runOne(worker, workflow);
      }
      long before = threads.getTotalStartedThreadCount();
      for (int i = 0; i < MEASURED; i++) {
        runOne(worker, workflow);
      }
      long started = threads.getTotalStartedThreadCount() - before;
      System.out.printf("common pool parallelism %d; threads started during %d http assets: %d%n",
          ForkJoinPool.getCommonPoolParallelism(), MEASURED, started);
    }
    System.exit(0);
  }

  private static void runOne(WorkerHarness worker, String workflow) {
    WorkerHarness.Task task = worker.newExecution(workflow);
    HttpResponse<String> response = worker.post(task.body());
    String state = json(response).path("state").asText();
    if (response.statusCode() != 200 || !state.equals("succeeded")) {
      throw new IllegalStateException("execution " + task.executionId() + " answered "
          + response.statusCode() + ": " + response.body());
    }
  }
}
