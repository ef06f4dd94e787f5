package io.servo.orchestrator.tracing;

import com.sun.net.httpserver.HttpExchange;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.orchestrator.OrchestratorConfig.TraceInbound;
import io.servo.orchestrator.api.CallerAuthentication;
import io.servo.orchestrator.api.RequestObserver;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.telemetry.propagation.MapCarrier;

/**
 * The SERVER span of each API request. It starts after authentication, because the caller's
 * identity decides what its {@code traceparent} may do ({@code SERVO_TRACE_INBOUND}):
 *
 * <ul>
 *   <li>authenticated, mode {@code parent}: the caller's context is the parent (its sampling
 *       decision and trace state included);
 *   <li>anonymous (no tokens configured), or mode {@code link}: a new trace, sampled by Servo's own
 *       root sampler, with a span link to the caller's span (its trace state dropped);
 *   <li>authentication failed, or mode {@code ignore}: a new trace; the headers are not read.
 * </ul>
 */
final class ServerSpans implements RequestObserver {
  private static final String EXECUTIONS_ROUTE_SUFFIX = "/executions";
  private enum Use { PARENT, LINK, NOTHING }

  private final Instrumenter<ExchangeRequest, Integer> instrumenter;
  private final TextMapPropagator propagator;
  private final TraceInbound inbound;
  private final TraceKeep keep;

  ServerSpans(Instrumenter<ExchangeRequest, Integer> instrumenter, TextMapPropagator propagator,
      TraceInbound inbound, TraceKeep keep) {
    this.instrumenter = instrumenter;
    this.propagator = propagator;
    this.inbound = inbound;
    this.keep = keep;
  }

  @Override
  public Observation start(HttpExchange exchange, String route, CallerAuthentication caller) {
    Context parent = Context.root();
    SpanContext link = null;
    Use use = use(caller);
    if (use != Use.NOTHING) {
      Context extracted = MapCarrier.extractHeaders(propagator, Context.root(), exchange.getRequestHeaders());
      if (use == Use.PARENT) {
        parent = extracted;
      } else {
        SpanContext remote = Span.fromContext(extracted).getSpanContext();
        if (remote.isValid()) {
          // A link records where the request came from; the caller's trace state is not Servo's to keep.
          link = SpanContext.createFromRemoteParent(remote.getTraceId(), remote.getSpanId(),
              remote.getTraceFlags(), TraceState.getDefault());
        }
      }
    }
    if (TraceSampling.isUnsampledTrace(parent)) {
      // The caller's trace is not sampled: no span, but the request runs in that trace.
      Scope scope = parent.makeCurrent();
      return (status, error) -> scope.close();
    }
    ExchangeRequest request = new ExchangeRequest(exchange, route, link);
    if (!instrumenter.shouldStart(parent, request)) {
      return Observation.NONE;
    }
    Context context = instrumenter.start(parent, request);
    SpanContext started = Span.fromContext(context).getSpanContext();
    if (!started.isSampled() && keep.enabled() && caller != CallerAuthentication.REJECTED
        && launches(exchange, route)) {
      // A request that failed authentication starts nothing, so it notes nothing either.
      return noted(context, started, exchange.getRequestMethod() + " " + route, route, request);
    }
    Scope scope = context.makeCurrent();
    return (status, error) -> {
      scope.close();
      instrumenter.end(context, request, status, error);
    };
  }

  /** Only a request that starts an execution can lead to a kept trace. */
  private static boolean launches(HttpExchange exchange, String route) {
    return route != null && route.endsWith(EXECUTIONS_ROUTE_SUFFIX) && "POST".equals(exchange.getRequestMethod());
  }

  /**
   * A request starting an execution in a trace the sampler left out: its SERVER part is noted in a
   * skeleton (with its statements and the launch), which the launch holds until the execution ends
   * in case the trace is kept ({@link KeptTraces}). The part has the span id the SDK gave the
   * unsampled span, the one the payload and the logs carry.
   */
  private Observation noted(Context context, SpanContext started, String name, String route,
      ExchangeRequest request) {
    TraceSkeleton skeleton = new TraceSkeleton(started.getTraceId(), SpanId.getInvalid(), true);
    int part = skeleton.open(name, SpanKind.SERVER, started.getSpanId());
    Scope scope = skeleton.storeIn(context).makeCurrent();
    return (status, error) -> {
      scope.close();
      instrumenter.end(context, request, status, error);
      skeleton.close(part, new KeptParts.Request(name, request.exchange().getRequestMethod(), route, status));
    };
  }

  private Use use(CallerAuthentication caller) {
    if (caller == CallerAuthentication.REJECTED || inbound == TraceInbound.IGNORE) {
      return Use.NOTHING;
    }
    if (caller == CallerAuthentication.AUTHENTICATED && inbound == TraceInbound.PARENT) {
      return Use.PARENT;
    }
    return Use.LINK;
  }
}
