package io.servo.worker.tracing;

/**
 * Where the worker puts its part of a kept unsampled trace: the execution's row
 * ({@code ExecutionStore.recordKeptSpans}), which the orchestrator holding the rest reads.
 */
@FunctionalInterface
public interface KeptSpansSink {
  /** Keeps nothing: the worker notes no skeleton at all. */
  KeptSpansSink NONE = (tenant, executionId, spans) -> {};

  /** Records {@code spans} (redacted, {@code KeptSpanCodec} text) on the execution. */
  void write(String tenant, String executionId, String spans);
}
