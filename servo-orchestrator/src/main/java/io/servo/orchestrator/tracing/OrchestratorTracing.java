package io.servo.orchestrator.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.instrumenter.SpanKindExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import io.servo.core.queue.TaskQueue;
import io.servo.orchestrator.OrchestratorConfig.TraceInbound;
import io.servo.orchestrator.api.RequestObserver;
import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.execution.LaunchedExecution;
import io.servo.orchestrator.execution.TraceContextSource;
import io.servo.orchestrator.outbox.HandOverTrace;
import io.servo.orchestrator.sweeper.LostAttemptSpans;
import io.servo.orchestrator.sweeper.RedeliveryTrace;
import io.servo.storage.ExecutionStore;
import io.servo.telemetry.SpanTakeover;
import io.servo.telemetry.http.ExchangeAttributesGetter;
import io.servo.telemetry.http.RecordedOnlyAttributes;
import io.servo.telemetry.keep.TraceKeep;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the orchestrator traces, wired from one {@link OpenTelemetry}: the API's SERVER spans,
 * {@code orchestrator.enqueue_execution}, the payload's trace context, the {@code
 * cloud_tasks.enqueue} PRODUCER span of each hand-over and the embedded queue's {@code
 * local_queue.enqueue} CLIENT span, and {@code orchestrator.redeliver_execution} when the sweeper
 * re-enqueues a stuck execution. The orchestrator plugs these into its seams; no other code
 * touches spans.
 *
 * <p>With a no-op {@code OpenTelemetry} (tracing disabled) every method returns its argument or a
 * no-op: nothing is injected, tasks carry no trace headers and the request path does no tracing
 * work at all.
 */
public final class OrchestratorTracing {
  /** How often the database is asked which held executions ended. */
  static final Duration KEPT_TRACES_POLL = Duration.ofSeconds(2);
  private static final OrchestratorTracing DISABLED = new OrchestratorTracing(null, null, null, null, null, null,
      LostAttemptSpans.NONE, KeptTraces.NONE);

  private final Instrumenter<TracingExecutionLauncher.Launch, LaunchedExecution> launches;
  private final HandOverTrace handOvers;
  private final Instrumenter<HandOverTrace.Task, Void> localClient;
  private final RequestObserver requests;
  private final TraceContextSource traceContext;
  private final RedeliveryTrace redeliveries;
  private final LostAttemptSpans lostAttempts;
  private final KeptTraces keptTraces;

  private OrchestratorTracing(
      Instrumenter<TracingExecutionLauncher.Launch, LaunchedExecution> launches,
      HandOverTrace handOvers,
      Instrumenter<HandOverTrace.Task, Void> localClient,
      RequestObserver requests,
      TraceContextSource traceContext,
      RedeliveryTrace redeliveries,
      LostAttemptSpans lostAttempts,
      KeptTraces keptTraces) {
    this.launches = launches;
    this.keptTraces = keptTraces;
    this.handOvers = handOvers;
    this.localClient = localClient;
    this.requests = requests;
    this.traceContext = traceContext;
    this.redeliveries = redeliveries;
    this.lostAttempts = lostAttempts;
  }

  /**
   * @param openTelemetry the process's instance; {@code OpenTelemetry.noop()} disables tracing
   * @param inbound what a caller's incoming trace context may do ({@code SERVO_TRACE_INBOUND})
   */
  public static OrchestratorTracing create(OpenTelemetry openTelemetry, TraceInbound inbound) {
    return create(openTelemetry, inbound, null, Clock.systemUTC());
  }

  /**
   * Like {@link #create(OpenTelemetry, TraceInbound)}, keeping whole the traces of unsampled
   * executions that end failed, timed out or slow ({@code SERVO_TRACE_KEEP}): {@code store} tells
   * which ended and holds the workers' parts (see {@link KeptTraces}); null keeps nothing.
   */
  public static OrchestratorTracing create(OpenTelemetry openTelemetry, TraceInbound inbound,
      ExecutionStore store, Clock clock) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    Objects.requireNonNull(inbound, "inbound");
    if (isNoop(openTelemetry)) {
      return DISABLED;
    }
    String scope = ServoSpans.INSTRUMENTATION_NAME;
    Instrumenter<TracingExecutionLauncher.Launch, LaunchedExecution> launches =
        Instrumenter.<TracingExecutionLauncher.Launch, LaunchedExecution>builder(
                openTelemetry, scope, launch -> ServoSpans.ENQUEUE_EXECUTION)
            .addAttributesExtractor(TracingExecutionLauncher.ATTRIBUTES)
            .buildInstrumenter(SpanKindExtractor.alwaysInternal());
    Instrumenter<HandOverTrace.Task, Void> producer =
        Instrumenter.<HandOverTrace.Task, Void>builder(openTelemetry, scope, h -> ServoSpans.CLOUD_TASKS_ENQUEUE)
            .addAttributesExtractor(HandOverAttributes.INSTANCE)
            .buildInstrumenter(SpanKindExtractor.alwaysProducer());
    Instrumenter<HandOverTrace.Task, Void> localClient =
        Instrumenter.<HandOverTrace.Task, Void>builder(openTelemetry, scope, h -> ServoSpans.LOCAL_QUEUE_ENQUEUE)
            .addAttributesExtractor(HandOverAttributes.INSTANCE)
            .buildInstrumenter(SpanKindExtractor.alwaysClient());
    ExchangeAttributesGetter<ExchangeRequest> http = ExchangeAttributesGetter.create();
    Instrumenter<ExchangeRequest, Integer> server =
        Instrumenter.<ExchangeRequest, Integer>builder(openTelemetry, scope, HttpSpanNameExtractor.create(http))
            .setSpanStatusExtractor(HttpSpanStatusExtractor.create(http))
            .addAttributesExtractor(RecordedOnlyAttributes.of(HttpServerAttributesExtractor.create(http)))
            .addSpanLinksExtractor((links, parentContext, request) -> {
              if (request.link() != null) {
                links.addLink(request.link());
              }
            })
            .buildInstrumenter(SpanKindExtractor.alwaysServer());
    TraceKeep keep = store == null ? TraceKeep.DISABLED : TraceKeep.of(openTelemetry);
    KeptTraces keptTraces = keep.enabled()
        ? new KeptTraces(keep, store, KEPT_TRACES_POLL, clock) : KeptTraces.NONE;
    RequestObserver requests = new ServerSpans(server, openTelemetry.getPropagators().getTextMapPropagator(),
        inbound, keptTraces.enabled() ? keep : TraceKeep.DISABLED);
    Instrumenter<RedeliverySpans.Redelivery, Void> redeliveries =
        Instrumenter.<RedeliverySpans.Redelivery, Void>builder(
                openTelemetry, scope, r -> ServoSpans.REDELIVER_EXECUTION)
            .addAttributesExtractor(RedeliverySpans.ATTRIBUTES)
            .buildInstrumenter(SpanKindExtractor.alwaysInternal());
    return new OrchestratorTracing(launches, new HandOverSpans(producer, keptTraces, keep.ids()), localClient,
        requests, CurrentSpanTraceContext.INSTANCE,
        new RedeliverySpans(redeliveries, store == null ? id -> Optional.empty() : store::traceParent),
        lostAttempts(openTelemetry),
        keptTraces);
  }

  private static LostAttemptSpans lostAttempts(OpenTelemetry openTelemetry) {
    SpanTakeover takeover = SpanTakeover.of(openTelemetry);
    return takeover.enabled() ? new LostAttemptTakeover(takeover) : LostAttemptSpans.NONE;
  }

  /** Whether spans are made at all (false for a no-op {@code OpenTelemetry}). */
  public boolean enabled() {
    return this != DISABLED;
  }

  /** Wraps the launcher in {@code orchestrator.enqueue_execution}. */
  public ExecutionLauncher wrapLauncher(ExecutionLauncher launcher) {
    Objects.requireNonNull(launcher, "launcher");
    return enabled() ? new TracingExecutionLauncher(launcher, launches, keptTraces) : launcher;
  }

  /**
   * The orchestrator parts of unsampled executions' traces, held until each execution ends and
   * exported whole if its worker kept the trace; start it with the service, close it at shutdown.
   */
  public KeptTraces keptTraces() {
    return keptTraces;
  }

  /** Where new payloads get their trace context: the current span's. */
  public TraceContextSource traceContext() {
    return enabled() ? traceContext : TraceContextSource.NONE;
  }

  /**
   * The trace context of a task the sweeper re-enqueues: an {@code orchestrator.redeliver_execution}
   * span in the execution's trace (see {@link RedeliverySpans}).
   */
  public RedeliveryTrace redeliveryTrace() {
    return enabled() ? redeliveries : RedeliveryTrace.NONE;
  }

  /**
   * Ends a dead worker's open spans when the sweeper re-enqueues its execution ({@link
   * LostAttemptTakeover}); {@link LostAttemptSpans#NONE} when the spans could not be exported.
   */
  public LostAttemptSpans lostAttemptSpans() {
    return lostAttempts;
  }

  /**
   * The {@code cloud_tasks.enqueue} PRODUCER span of each hand-over, whose context the task carries
   * to the worker in Servo's signed trace headers (see {@link HandOverSpans}).
   */
  public HandOverTrace handOverTrace() {
    return enabled() ? handOvers : HandOverTrace.NONE;
  }

  /** Wraps the embedded queue in the {@code local_queue.enqueue} CLIENT span; closing closes it. */
  public TaskQueue wrapLocalQueue(TaskQueue queue) {
    Objects.requireNonNull(queue, "queue");
    return enabled() ? new BackendClientTracingQueue(queue, localClient) : queue;
  }

  /** The API's SERVER spans. */
  public RequestObserver requestObserver() {
    return enabled() ? requests : RequestObserver.NONE;
  }

  private static boolean isNoop(OpenTelemetry openTelemetry) {
    return openTelemetry == OpenTelemetry.noop()
        || openTelemetry.getTracerProvider() == TracerProvider.noop();
  }
}
