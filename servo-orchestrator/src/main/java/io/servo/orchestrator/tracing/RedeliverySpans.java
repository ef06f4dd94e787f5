package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.core.task.TraceMetadata;
import io.servo.orchestrator.sweeper.RedeliveryTrace;
import io.servo.orchestrator.sweeper.StuckReason;
import io.servo.storage.Execution;
import io.servo.telemetry.TraceSampling;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * {@code orchestrator.redeliver_execution}: the INTERNAL span of the sweeper re-enqueueing a stuck
 * execution, whose context goes into the new payload (written once, as the launch does) so the
 * redelivery's hand-over and worker spans join the execution's trace.
 *
 * <p>Its parent is the span the execution's first payload named (its {@code
 * orchestrator.enqueue_execution}), recorded with the execution as {@code trace_parent}, and it
 * follows that span's sampling decision: a sampled trace gets the redelivery as one more child, and
 * an unsampled one stays unsampled (no span; the payload carries the original context), so that
 * retroactive keep can still export it whole if the execution fails. An execution recorded before
 * {@code trace_parent} existed has only its trace id: its redelivery span is sampled under a
 * placeholder parent, as before, and reaches the backend without that parent.
 */
final class RedeliverySpans implements RedeliveryTrace {
  /** What the span describes. */
  record Redelivery(Execution execution, StuckReason reason) {}

  static final AttributesExtractor<Redelivery, Void> ATTRIBUTES = new AttributesExtractor<>() {
    @Override
    public void onStart(AttributesBuilder attributes, Context parentContext, Redelivery r) {
      attributes.put(ServoSpans.EXECUTION_ID, r.execution().id());
      attributes.put(ServoSpans.WORKFLOW_ID, r.execution().workflow());
      attributes.put(ServoSpans.TENANT_ID, r.execution().tenant());
      attributes.put(ServoSpans.REDELIVERY_REASON, r.reason().id());
      attributes.put(ServoSpans.EXECUTION_ATTEMPT, (long) r.execution().attempt());
    }

    @Override
    public void onEnd(AttributesBuilder attributes, Context context, Redelivery r, Void unused,
        Throwable error) {}
  };

  private final Instrumenter<Redelivery, Void> instrumenter;
  private final Function<String, Optional<String>> traceParents;

  /** @param traceParents an execution's recorded {@code trace_parent}, by execution id */
  RedeliverySpans(Instrumenter<Redelivery, Void> instrumenter, Function<String, Optional<String>> traceParents) {
    this.instrumenter = instrumenter;
    this.traceParents = traceParents;
  }

  @Override
  public TraceMetadata contextFor(Execution execution, StuckReason reason) {
    Context parent = Context.root();
    String traceId = execution.traceId();
    Optional<String> recorded = traceId == null ? Optional.empty() : traceParents.apply(execution.id());
    Context original = recorded.map(t -> PayloadContext.extract(new TraceMetadata(t, null))).orElse(Context.root());
    if (Span.fromContext(original).getSpanContext().isValid()) {
      if (TraceSampling.isUnsampledTrace(original)) {
        return new TraceMetadata(recorded.get(), null); // the sampler's decision stands
      }
      parent = original;
    } else if (traceId != null && TraceId.isValid(traceId)) {
      SpanContext placeholder = SpanContext.createFromRemoteParent(
          traceId, randomSpanId(), TraceFlags.getSampled(), TraceState.getDefault());
      parent = parent.with(Span.wrap(placeholder));
    }
    Redelivery redelivery = new Redelivery(execution, reason);
    if (!instrumenter.shouldStart(parent, redelivery)) {
      return TraceMetadata.EMPTY;
    }
    Context context = instrumenter.start(parent, redelivery);
    try {
      return PayloadContext.inject(context);
    } finally {
      instrumenter.end(context, redelivery, null, null);
    }
  }

  private static String randomSpanId() {
    long id;
    do {
      id = ThreadLocalRandom.current().nextLong();
    } while (id == 0);
    return HexFormat.of().toHexDigits(id);
  }
}
