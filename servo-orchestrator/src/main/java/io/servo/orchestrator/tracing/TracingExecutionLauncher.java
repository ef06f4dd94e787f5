package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.servo.orchestrator.execution.ExecutionLauncher;
import io.servo.orchestrator.execution.LaunchedExecution;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.keep.TraceSkeleton;
import java.util.Optional;

/**
 * {@code orchestrator.enqueue_execution}: the INTERNAL span around starting an execution. The
 * launcher's statements and the payload's trace context (read by {@link CurrentSpanTraceContext}
 * while the span is current) hang beneath it; the execution id is known only when it ends.
 */
final class TracingExecutionLauncher implements ExecutionLauncher {
  /** What is known when the span starts. */
  record Launch(String tenant, String workflow) {}

  static final AttributesExtractor<Launch, LaunchedExecution> ATTRIBUTES =
      new AttributesExtractor<>() {
        @Override
        public void onStart(AttributesBuilder attributes, Context parentContext, Launch launch) {
          attributes.put(ServoSpans.WORKFLOW_ID, launch.workflow());
          attributes.put(ServoSpans.TENANT_ID, launch.tenant());
        }

        @Override
        public void onEnd(AttributesBuilder attributes, Context context, Launch launch,
            LaunchedExecution launched, Throwable error) {
          if (launched != null) {
            attributes.put(ServoSpans.EXECUTION_ID, launched.execution().id());
          }
        }
      };

  private final ExecutionLauncher delegate;
  private final Instrumenter<Launch, LaunchedExecution> instrumenter;
  private final KeptTraces keptTraces;

  TracingExecutionLauncher(ExecutionLauncher delegate, Instrumenter<Launch, LaunchedExecution> instrumenter,
      KeptTraces keptTraces) {
    this.delegate = delegate;
    this.instrumenter = instrumenter;
    this.keptTraces = keptTraces;
  }

  @Override
  public Optional<LaunchedExecution> launch(String tenant, String workflow, String idempotencyKey) {
    Context parent = Context.current();
    Launch launch = new Launch(tenant, workflow);
    if (TraceSampling.isUnsampledTrace(parent)) {
      TraceSkeleton skeleton = TraceSkeleton.fromContext(parent);
      return skeleton == null ? delegate.launch(tenant, workflow, idempotencyKey)
          : noted(skeleton, launch, idempotencyKey);
    }
    if (!instrumenter.shouldStart(parent, launch)) {
      return delegate.launch(tenant, workflow, idempotencyKey);
    }
    Context context = instrumenter.start(parent, launch);
    Optional<LaunchedExecution> launched = Optional.empty();
    Throwable error = null;
    try (Scope ignored = context.makeCurrent()) {
      launched = delegate.launch(tenant, workflow, idempotencyKey);
      return launched;
    } catch (RuntimeException | Error e) {
      error = e;
      throw e;
    } finally {
      instrumenter.end(context, launch, launched.orElse(null), error);
    }
  }

  /**
   * An unsampled launch, noted in the request's skeleton (its statements beneath it), which is then
   * held until the new execution ends, in case its trace is kept.
   */
  private Optional<LaunchedExecution> noted(TraceSkeleton skeleton, Launch launch, String idempotencyKey) {
    int part = skeleton.open(ServoSpans.ENQUEUE_EXECUTION, SpanKind.INTERNAL, null);
    // Held before the launch commits: the relay may hand the task over before this thread goes on.
    keptTraces.hold(skeleton, part);
    Optional<LaunchedExecution> launched = Optional.empty();
    try {
      launched = delegate.launch(launch.tenant(), launch.workflow(), idempotencyKey);
      return launched;
    } finally {
      skeleton.close(part, new KeptParts.Launch(launch, launched.orElse(null)));
      // A repeated idempotency key returns an execution another request started: not this trace's.
      if (launched.isPresent() && launched.get().created()) {
        keptTraces.bind(skeleton.traceId(), launched.get().execution().id());
      } else {
        keptTraces.drop(skeleton.traceId());
      }
    }
  }
}
