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
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code orchestrator.redeliver_execution}: the INTERNAL span of the sweeper re-enqueueing a stuck
 * execution, whose context goes into the new payload (written once, as the launch does) so the
 * redelivery's hand-over and worker spans join the execution's trace (its stored {@code trace_id}).
 *
 * <p>The original payload, and with it the id of the span it named as parent and its sampling
 * decision, is gone once its task left the outbox; only the trace id is stored. So the span's
 * parent is a remote placeholder in that trace, and it is sampled: a stuck execution is exactly
 * what one wants to see, even when the rest of its trace was not kept.
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

  RedeliverySpans(Instrumenter<Redelivery, Void> instrumenter) {
    this.instrumenter = instrumenter;
  }

  @Override
  public TraceMetadata contextFor(Execution execution, StuckReason reason) {
    Context parent = Context.root();
    String traceId = execution.traceId();
    if (traceId != null && TraceId.isValid(traceId)) {
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
