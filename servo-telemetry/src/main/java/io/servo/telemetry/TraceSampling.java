package io.servo.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;

/**
 * The one sampling question Servo's instrumentation asks before building a span.
 *
 * <p>By default every SDK {@link ServoTelemetry} starts samples with {@code
 * ParentBased(TraceIdRatioBased)} ({@code OTEL_TRACES_SAMPLER} can choose another sampler; this
 * answer stays the same, so Servo never starts a span under an unsampled parent):
 * the root span of a trace is the only one the ratio decides; every descendant follows its parent.
 * A span whose parent was not sampled is therefore never recorded, yet building it is not free:
 * its attributes are extracted and stored before the sampler runs, and the JDBC and HTTP wrappers
 * beneath it allocate too. With 1% sampling that is 99 executions in 100 paying for spans nobody
 * will see. So Servo's instrumentation does not start a span under an unsampled parent: the work
 * runs under the parent's context instead, which carries the same trace id (log lines keep their
 * {@code trace_id}, and the W3C headers and the task payload carry the same not-sampled decision
 * on to the next service).
 */
public final class TraceSampling {
  private TraceSampling() {}

  /**
   * Whether {@code parent} holds a valid span context that was not sampled, so that no span started
   * beneath it would be recorded. A context without a valid span (a new trace, whose root the
   * sampler decides) answers {@code false}.
   */
  public static boolean isUnsampledTrace(Context parent) {
    SpanContext span = Span.fromContext(parent).getSpanContext();
    return span.isValid() && !span.isSampled();
  }
}
