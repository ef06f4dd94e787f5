package io.servo.worker.tracing;

import com.sun.net.httpserver.HttpExchange;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.core.task.TaskPayload;
import io.servo.core.task.TraceMetadata;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.telemetry.propagation.MapCarrier;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.worker.http.DeliveryObserver;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SERVER span of each authenticated delivery. Its parent is a signed context only:
 *
 * <ol>
 *   <li>the {@code X-Servo-Traceparent}/{@code X-Servo-Tracestate} headers (the orchestrator's
 *       producer span, covered by the HMAC with the body);
 *   <li>else the signed payload's {@code trace} (the span the task was created in);
 *   <li>else nothing: a new trace, sampled by the worker's own root sampler.
 * </ol>
 *
 * <p>The W3C {@code traceparent} is never a parent: Cloud Run's front end rewrites its parent-id,
 * and nothing signs it. When it holds a context other than the parent chosen, it becomes a link
 * (without its trace state) on the SERVER span and, through the context, on the CONSUMER span.
 */
final class DeliverySpans implements DeliveryObserver {
  private static final Logger log = LoggerFactory.getLogger(DeliverySpans.class);
  /**
   * What a delivery reserves of the keep budget before it notes anything: a skeleton of about six
   * parts. A workflow with more assets reserves the rest part by part as it runs ({@link
   * SkeletonCharge}).
   */
  static final long SKELETON_BYTES = 1024;

  private final Instrumenter<DeliveryRequest, Integer> instrumenter;
  private final TextMapPropagator propagator = ServoTraceContextPropagator.getInstance();
  private final TraceKeep keep;
  private final KeptSpansSink keptSpans;

  DeliverySpans(Instrumenter<DeliveryRequest, Integer> instrumenter, TraceKeep keep, KeptSpansSink keptSpans) {
    this.instrumenter = instrumenter;
    this.keep = keep;
    this.keptSpans = keptSpans;
  }

  @Override
  public Observation start(HttpExchange exchange, TaskPayload payload) {
    TraceHeaders headers = TraceHeaders.of(exchange.getRequestHeaders());
    Context parent = parent(payload.trace(), headers);
    if (TraceSampling.isUnsampledTrace(parent)) {
      // Not sampled where the trace began: nothing here is recorded, but the work runs in that trace.
      if (keep.enabled() && keep.reserve(SKELETON_BYTES)) {
        return noted(parent, payload);
      }
      Scope scope = parent.makeCurrent();
      return status -> scope.close();
    }
    SpanContext frontEnd = frontEnd(headers, Span.fromContext(parent).getSpanContext());
    DeliveryRequest request = new DeliveryRequest(exchange, frontEnd);
    if (!instrumenter.shouldStart(parent, request)) {
      return Observation.NONE;
    }
    Context started = instrumenter.start(parent, request);
    Context context = frontEnd == null ? started : started.with(WorkerSpans.FRONT_END_CONTEXT, frontEnd);
    Scope scope = context.makeCurrent();
    return status -> {
      scope.close();
      instrumenter.end(started, request, status, null);
    };
  }

  /**
   * An unsampled delivery, noted in a skeleton that becomes spans only if the execution's trace is
   * kept ({@link ExecutionSpans#keep}); then the worker's part goes to the execution's row, for the
   * orchestrator that holds the rest of the trace to export both.
   */
  private Observation noted(Context parent, TaskPayload payload) {
    SpanContext producer = Span.fromContext(parent).getSpanContext();
    TraceSkeleton skeleton = new TraceSkeleton(producer.getTraceId(), producer.getSpanId(), false);
    SkeletonCharge charge = new SkeletonCharge(keep, skeleton, SKELETON_BYTES);
    int part = skeleton.open(KeptParts.Delivery.NAME, SpanKind.SERVER, null);
    Scope scope = skeleton.storeIn(parent).makeCurrent();
    return status -> {
      scope.close();
      skeleton.close(part, new KeptParts.Delivery(status));
      try {
        String reason = skeleton.keptReason();
        if (reason != null) {
          keptSpans.write(payload.tenant(), payload.executionId(), keep.encodeRedacted(
              skeleton.toSpans(reason, keep.resource(), WorkerSpans.INSTRUMENTATION_NAME, keep.ids())));
        }
      } catch (RuntimeException e) {
        // The execution ended and is recorded; only its kept trace is lost (the orchestrator gives up on it).
        log.warn("execution {}: the worker's part of its kept trace could not be recorded ({})",
            payload.executionId(), e.getClass().getSimpleName());
      } finally {
        keep.release(charge.reserved());
      }
    };
  }

  /**
   * What a delivery's skeleton has taken of the keep budget: {@code reserved} up front, then each
   * part it gains beyond that, as it gains it. When the budget refuses a part the skeleton is
   * abandoned (counted as over budget): the execution's trace will not be kept, rather than kept
   * with memory nobody accounted for. Parts may be added from the threads of parallel assets.
   */
  private static final class SkeletonCharge implements java.util.function.LongConsumer {
    private final TraceKeep keep;
    private final TraceSkeleton skeleton;
    private long reserved; // guarded by this
    private long used; // guarded by this

    SkeletonCharge(TraceKeep keep, TraceSkeleton skeleton, long reserved) {
      this.keep = keep;
      this.skeleton = skeleton;
      this.reserved = reserved;
      accept(skeleton.chargeGrowthTo(this));
    }

    @Override
    public synchronized void accept(long bytes) {
      used += bytes;
      if (used > reserved && !skeleton.abandoned()) {
        long more = used - reserved;
        if (keep.reserve(more)) {
          reserved += more;
        } else {
          skeleton.abandon();
        }
      }
    }

    synchronized long reserved() {
      return reserved;
    }
  }

  private Context parent(TraceMetadata trace, TraceHeaders headers) {
    Context signedHeaders = extract(headers.signed());
    if (isValid(signedHeaders)) {
      return signedHeaders;
    }
    Context signedPayload = extract(trace);
    return isValid(signedPayload) ? signedPayload : Context.root();
  }

  private Context extract(TraceMetadata trace) {
    if (trace.isEmpty()) {
      return Context.root();
    }
    return propagator.extract(Context.root(), trace, SIGNED_FIELDS);
  }

  /**
   * A signed context's two fields, read where they are rather than copied into a map first (a
   * HashMap, its table and nodes: about 0.15 KB of every delivery).
   */
  private static final TextMapGetter<TraceMetadata> SIGNED_FIELDS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(TraceMetadata trace) {
      return List.of(ServoTraceContextPropagator.TRACEPARENT, ServoTraceContextPropagator.TRACESTATE);
    }

    @Override
    public String get(TraceMetadata trace, String key) {
      if (trace == null) {
        return null;
      }
      return ServoTraceContextPropagator.TRACEPARENT.equalsIgnoreCase(key) ? trace.traceparent()
          : ServoTraceContextPropagator.TRACESTATE.equalsIgnoreCase(key) ? trace.tracestate() : null;
    }
  };

  /** The W3C header's context when it is valid and not the parent; without its trace state. */
  private SpanContext frontEnd(TraceHeaders headers, SpanContext parent) {
    List<String> values = headers.w3cTraceparent();
    if (values == null) {
      return null;
    }
    if (values.size() == 1 && values.get(0).equals(headers.signed().traceparent())) {
      return null; // the signed header's own value, untouched on the way: nothing to parse or link
    }
    Map<String, List<String>> fields =
        Map.of(ServoTraceContextPropagator.TRACEPARENT, values);
    SpanContext header = Span.fromContext(
        MapCarrier.extractHeaders(propagator, Context.root(), fields)).getSpanContext();
    if (!header.isValid()
        || (header.getTraceId().equals(parent.getTraceId())
            && header.getSpanId().equals(parent.getSpanId()))) {
      return null;
    }
    return SpanContext.createFromRemoteParent(header.getTraceId(), header.getSpanId(),
        header.getTraceFlags(), TraceState.getDefault());
  }

  private static boolean isValid(Context context) {
    return Span.fromContext(context).getSpanContext().isValid();
  }
}
