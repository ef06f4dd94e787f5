package io.servo.orchestrator.tracing;

import io.opentelemetry.context.Context;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.execution.TraceContextSource;

/**
 * The payload's trace context is the current span's (during a launch, {@code
 * orchestrator.enqueue_execution}), sampled or not: an unsampled execution still has a trace id,
 * which its logs carry, and the worker must follow the "not sampled" decision.
 */
final class CurrentSpanTraceContext implements TraceContextSource {
  static final CurrentSpanTraceContext INSTANCE = new CurrentSpanTraceContext();

  private CurrentSpanTraceContext() {}

  @Override
  public TraceMetadata current() {
    return PayloadContext.inject(Context.current());
  }
}
