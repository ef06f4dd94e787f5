package io.servo.bench.micro;

import com.sun.net.httpserver.Headers;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.worker.tracing.TraceHeaders;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The worker's lookup of a delivery's trace headers in the JDK server's {@link Headers}: the
 * signed {@code X-Servo-Traceparent}/{@code X-Servo-Tracestate} and the W3C {@code traceparent}.
 * {@code getFirst} (what the JDK offers) against the worker's own one pass over the entries
 * ({@link TraceHeaders#of}, written by hand for the allocation this measures). The headers are
 * those of a Cloud Tasks push through Cloud Run's front end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderLookupBenchmark {
  /** Which lookup (the mode column of the table). */
  @Param({"GET_FIRST", "ONE_PASS"})
  public String mode;

  private Headers headers;

  @Setup
  public void headers() {
    headers = new Headers();
    headers.add("Host", "servo-worker-abcdef-uc.a.run.app");
    headers.add("Content-Type", "application/json");
    headers.add("Content-Length", "612");
    headers.add("User-Agent", "Google-Cloud-Tasks");
    headers.add("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    headers.add("X-CloudTasks-QueueName", "servo-executions");
    headers.add("X-CloudTasks-TaskName", "0b9f6c1e7d2a4d8e9d7e3a1f2c4b5d6e");
    headers.add("X-CloudTasks-TaskRetryCount", "0");
    headers.add("X-CloudTasks-TaskExecutionCount", "0");
    headers.add("X-CloudTasks-TaskETA", "1765143000.123456");
    headers.add("X-Servo-Signature", "v2=7d1f0c2e9a8b4c6d5e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d");
    headers.add("X-Servo-Timestamp", "1765143000");
    headers.add(TaskSignature.TRACEPARENT_HEADER, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
    headers.add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-00");
    headers.add("X-Cloud-Trace-Context", "0af7651916cd43dd8448eb211c80319c/67667974448284343;o=0");
    headers.add("Forwarded", "for=\"10.0.0.1\";proto=https");
    headers.add("Accept-Encoding", "gzip, deflate, br");
  }

  @Benchmark
  public Object lookup() {
    return mode.equals("GET_FIRST") ? getFirst(headers) : TraceHeaders.of(headers);
  }

  /**
   * What an unsampled delivery did before {@link TraceHeaders}: the signed pair by {@code getFirst}
   * (the W3C header was looked up only when sampled), into the same {@link TraceMetadata}.
   */
  private static Object getFirst(Headers headers) {
    return new TraceMetadata(headers.getFirst(TaskSignature.TRACEPARENT_HEADER),
        headers.getFirst(TaskSignature.TRACESTATE_HEADER));
  }
}
