package io.servo.worker.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.semconv.ExceptionAttributes;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.core.workflow.Asset;
import io.servo.storage.AssetResult;
import io.servo.storage.LostAttempt;
import io.servo.storage.StorageException;
import io.servo.telemetry.OpenSpan;
import io.servo.telemetry.SpanTakeover;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.keep.TraceKeep;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.worker.assets.AssetOutcome;
import io.servo.worker.execution.ClaimLostException;
import io.servo.worker.execution.Delivery;
import io.servo.worker.execution.ExecutionInterceptor;
import io.servo.worker.execution.ExecutionOutcome;
import io.servo.worker.execution.ExecutionRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The CONSUMER span of each delivery ({@code worker.execute_workflow}) and an INTERNAL span per
 * asset run ({@code worker.execute_asset}), both current while their work runs, so the JDBC, HTTP
 * and subprocess work beneath nests under them.
 *
 * <p>Status follows the queue's retry signal: a delivery the queue retries (5xx) records why as an
 * exception event and leaves the status unset, since a later attempt may still succeed; only a
 * delivery that ends the execution failed or timed out marks it an error.
 *
 * <p>A worker that dies (kill -9, out of memory, a lost instance) cannot end its open spans: its
 * SERVER, CONSUMER and running asset span. Their ids are recorded with the claim and with the asset's
 * running result ({@link #openWork()}); the delivery that takes the execution over ends them with
 * those ids as errors ({@link #attemptLost}), so the spans the dead worker had exported (statements,
 * HTTP calls) still find their parents.
 */
final class ExecutionSpans implements ExecutionInterceptor {
  private static final int MAX_DESCRIPTION_CHARS = 200;

  private final Tracer tracer;
  private final Clock clock;
  private final SpanTakeover takeover;
  private final TraceKeep keep;

  ExecutionSpans(Tracer tracer, Clock clock, SpanTakeover takeover, TraceKeep keep) {
    this.tracer = tracer;
    this.clock = clock;
    this.takeover = takeover;
    this.keep = keep;
  }

  @Override
  public ExecutionOutcome aroundExecution(ExecutionRequest request, Proceed<ExecutionOutcome> next)
      throws InterruptedException {
    Context parent = Context.current();
    if (TraceSampling.isUnsampledTrace(parent)) {
      TraceSkeleton skeleton = TraceSkeleton.fromContext(parent);
      return skeleton == null ? next.proceed() : noted(skeleton, WorkerSpans.EXECUTE_WORKFLOW, SpanKind.CONSUMER,
          request, next, KeptParts.Execution::new);
    }
    Delivery delivery = request.delivery();
    SpanBuilder builder = tracer.spanBuilder(WorkerSpans.EXECUTE_WORKFLOW)
        .setSpanKind(SpanKind.CONSUMER)
        .setParent(parent)
        .setAttribute(WorkerSpans.EXECUTION_ID, request.executionId())
        .setAttribute(WorkerSpans.WORKFLOW_ID, request.payload().workflow())
        .setAttribute(WorkerSpans.TENANT_ID, request.tenant())
        .setAttribute(WorkerSpans.ASSET_COUNT, (long) request.plan().steps().size())
        .setAttribute(WorkerSpans.MESSAGING_SYSTEM, WorkerSpans.GCP_CLOUD_TASKS)
        .setAttribute(WorkerSpans.MESSAGING_OPERATION_TYPE, WorkerSpans.PROCESS);
    if (delivery.queueName() != null) {
      builder.setAttribute(WorkerSpans.MESSAGING_DESTINATION_NAME, delivery.queueName());
    }
    if (delivery.taskName() != null) {
      builder.setAttribute(WorkerSpans.MESSAGING_MESSAGE_ID, delivery.taskName());
    }
    if (delivery.retryCount() != null) {
      builder.setAttribute(WorkerSpans.TASK_RETRY_COUNT, (long) delivery.retryCount());
    }
    if (delivery.executionCount() != null) {
      builder.setAttribute(WorkerSpans.TASK_EXECUTION_COUNT, (long) delivery.executionCount());
    }
    if (delivery.eta() != null) {
      // Clocks differ between the queue and the worker: a negative wait is reported as none.
      long waitMillis = Duration.between(delivery.eta(), clock.instant()).toMillis();
      builder.setAttribute(WorkerSpans.QUEUE_WAIT_MS, Math.max(0, waitMillis));
    }
    SpanContext frontEnd = parent.get(WorkerSpans.FRONT_END_CONTEXT);
    if (frontEnd != null) {
      builder.addLink(frontEnd, Attributes.of(WorkerSpans.LINK_REASON, WorkerSpans.FRONT_END_TRACEPARENT));
    }
    Span span = builder.startSpan();
    // The parent is the SERVER span when this worker started one (a remote parent is not recorded).
    Context context = parent.with(span).with(WorkerSpans.DELIVERY_SPAN, span)
        .with(WorkerSpans.OPEN_WORK, List.of(span, Span.fromContext(parent)));
    try (Scope ignored = context.makeCurrent()) {
      ExecutionOutcome outcome = next.proceed();
      describe(span, outcome);
      return outcome;
    } catch (InterruptedException | RuntimeException e) {
      // The handler answers 5xx: the queue delivers again.
      span.recordException(e);
      throw e;
    } finally {
      span.end();
    }
  }

  @Override
  public void claimed(ExecutionRequest request, int attempt) {
    Span span = Context.current().get(WorkerSpans.DELIVERY_SPAN);
    if (span != null) {
      span.setAttribute(WorkerSpans.ATTEMPT, (long) attempt);
    }
  }

  @Override
  public String openWork() {
    List<Span> open = Context.current().get(WorkerSpans.OPEN_WORK);
    if (open == null) {
      return null;
    }
    List<OpenSpan> spans = new ArrayList<>(open.size());
    for (Span span : open) {
      OpenSpan.of(span).ifPresent(spans::add);
    }
    return spans.isEmpty() ? null : OpenSpan.encode(spans);
  }

  @Override
  public void attemptLost(ExecutionRequest request, LostAttempt lost) {
    if (!takeover.enabled()) {
      return;
    }
    takeover.endRecorded(lost.openSpans(), clock.instant(), lost.description(), Attributes.builder()
        .put(WorkerSpans.EXECUTION_ID, request.executionId())
        .put(WorkerSpans.TENANT_ID, request.tenant())
        .put(WorkerSpans.ATTEMPT, (long) lost.attempt())
        .put(WorkerSpans.ERROR_TYPE, WorkerSpans.WORKER_LOST)
        .build());
  }

  @Override
  public AssetOutcome aroundAsset(ExecutionRequest request, int attempt, Asset asset,
      Proceed<AssetOutcome> next) throws InterruptedException {
    Context parent = Context.current();
    if (TraceSampling.isUnsampledTrace(parent)) {
      TraceSkeleton skeleton = TraceSkeleton.fromContext(parent);
      return skeleton == null ? next.proceed() : noted(skeleton, WorkerSpans.EXECUTE_ASSET, SpanKind.INTERNAL,
          asset, next, KeptParts.AssetRun::new);
    }
    Span span = tracer.spanBuilder(WorkerSpans.EXECUTE_ASSET)
        .setSpanKind(SpanKind.INTERNAL)
        .setParent(parent)
        .setAttribute(WorkerSpans.ASSET_NAME, asset.name())
        .setAttribute(WorkerSpans.ASSET_KIND, asset.kind().wireName())
        .startSpan();
    try (Scope ignored = parent.with(span).with(WorkerSpans.RUNNING_ASSET, asset)
        .with(WorkerSpans.OPEN_WORK, List.of(span)).makeCurrent()) {
      AssetOutcome outcome = next.proceed();
      if (!outcome.succeeded()) {
        if (outcome.timedOut()) {
          span.setAttribute(WorkerSpans.ASSET_TIMED_OUT, true);
        }
        // Runners write errors without resolved ${env:…} values: they are stored and shown as is.
        span.setStatus(StatusCode.ERROR, firstLine(outcome.error()));
        // The event says why, in full: a command's exit code and stderr tail, the database's error,
        // an HTTP status with the body's tail. Redaction still runs before any exporter.
        span.addEvent("exception", Attributes.of(
            ExceptionAttributes.EXCEPTION_TYPE, failureType(asset, outcome),
            ExceptionAttributes.EXCEPTION_MESSAGE, failureMessage(outcome)));
      }
      return outcome;
    } catch (InterruptedException e) {
      span.recordException(e); // the worker is shutting down; the next delivery runs the asset again
      throw e;
    } catch (ClaimLostException e) {
      // Not run: recording it running was refused. The CONSUMER span says why the delivery stopped.
      retried(span, ClaimLostException.class.getName(), e.getMessage());
      throw e;
    } catch (StorageException e) {
      retried(span, StorageException.class.getName(), "Servo's database failed recording the asset as running");
      throw e;
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, "internal error in the worker's " + asset.kind().wireName()
          + " runner (" + e.getClass().getSimpleName() + ")");
      throw e;
    } finally {
      span.end();
    }
  }

  /**
   * Keeps the trace of an unsampled delivery (one with a skeleton) that ends its execution failed
   * or timed out, or slow, within this minute's allowance.
   */
  @Override
  public String keep(ExecutionRequest request, ExecutionState end, Instant createdAt) {
    TraceSkeleton skeleton = TraceSkeleton.current();
    if (skeleton == null) {
      return null;
    }
    String reason = keep.reason(end != ExecutionState.SUCCEEDED,
        createdAt == null ? null : Duration.between(createdAt, clock.instant()));
    if (reason == null || skeleton.abandoned() || !keep.admit()) {
      return null;
    }
    skeleton.keep(reason);
    return reason;
  }

  /** What a noted part of {@code what} became, from its outcome or error. */
  @FunctionalInterface
  private interface PartDetail<W, T> {
    TraceSkeleton.Detail of(W what, T outcome, Throwable error);
  }

  /**
   * An unsampled delivery's CONSUMER part or asset run, noted in its skeleton as part {@code name};
   * its detail holds references only, worked out only if the trace is kept.
   */
  private static <W, T> T noted(TraceSkeleton skeleton, String name, SpanKind kind, W what, Proceed<T> next,
      PartDetail<W, T> detail) throws InterruptedException {
    int part = skeleton.open(name, kind, null);
    T outcome = null;
    Throwable error = null;
    try {
      outcome = next.proceed();
      return outcome;
    } catch (InterruptedException | RuntimeException e) {
      error = e;
      throw e;
    } finally {
      skeleton.close(part, detail.of(what, outcome, error));
    }
  }

  /** The exception type of a failed asset's event: what kind of failure, as a backend groups them. */
  static String failureType(Asset asset, AssetOutcome outcome) {
    if (outcome.timedOut()) {
      return "io.servo.asset.Timeout";
    }
    return switch (asset.kind()) {
      case COMMAND -> "io.servo.asset.CommandFailed";
      case SQL -> "io.servo.asset.StatementFailed";
      case HTTP -> "io.servo.asset.HttpRequestFailed";
    };
  }

  private static final int MAX_FAILURE_CHARS = 4096;

  /** The error, with the output when it adds to it (an HTTP answer's body, a command's stdout). */
  static String failureMessage(AssetOutcome outcome) {
    String error = outcome.error() == null ? "failed" : outcome.error().strip();
    String output = outcome.output() == null ? "" : outcome.output().strip();
    String message = output.startsWith(error) ? output
        : output.isEmpty() || error.contains(output) ? error : error + "\n" + output;
    return message.length() > MAX_FAILURE_CHARS ? message.substring(0, MAX_FAILURE_CHARS) + "…" : message;
  }

  private static void describe(Span span, ExecutionOutcome outcome) {
    if (!span.isRecording()) {
      return;
    }
    if (outcome instanceof ExecutionOutcome.Ended ended) {
      span.setAttribute(WorkerSpans.EXECUTION_STATE, ended.state().wireName());
      if (ended.replayed()) {
        // A redelivery of an ended execution: nothing ran, and nothing went wrong.
        span.setAttribute(WorkerSpans.REDELIVERED, true);
        span.setStatus(StatusCode.OK);
      } else if (ended.state() != ExecutionState.SUCCEEDED) {
        span.setStatus(StatusCode.ERROR, "execution " + ended.state().wireName() + firstFailure(ended));
      }
    } else if (outcome instanceof ExecutionOutcome.NotFound) {
      span.setStatus(StatusCode.ERROR, "no such execution for the payload's tenant");
    } else if (outcome instanceof ExecutionOutcome.Busy) {
      retried(span, "io.servo.worker.LeaseHeld", "the execution is running on another worker");
    } else if (outcome instanceof ExecutionOutcome.Interrupted interrupted) {
      retried(span, interrupted.cause() == null
          ? "io.servo.worker.DeliveryInterrupted" : interrupted.cause().getClass().getName(),
          interrupted.reason());
    }
  }

  /**
   * Records why the queue must deliver again as an exception event, leaving the status unset. The
   * message is the worker's own reason, never the cause's text (a driver's message may quote data).
   */
  private static void retried(Span span, String type, String reason) {
    span.addEvent("exception", Attributes.of(
        ExceptionAttributes.EXCEPTION_TYPE, type, ExceptionAttributes.EXCEPTION_MESSAGE, reason));
  }

  static String firstFailure(ExecutionOutcome.Ended ended) {
    for (AssetResult result : ended.assets()) {
      if (result.status() == AssetStatus.FAILED) {
        return ": asset '" + result.assetName() + (io.servo.worker.assets.AssetOutcome.isTimeout(result.error())
            ? "' timed out" : "' failed");
      }
    }
    return "";
  }

  static String firstLine(String text) {
    if (text == null) {
      return "failed";
    }
    String line = text.strip();
    int newline = line.indexOf('\n');
    if (newline >= 0) {
      line = line.substring(0, newline) + " …";
    }
    return line.length() > MAX_DESCRIPTION_CHARS ? line.substring(0, MAX_DESCRIPTION_CHARS) + "…" : line;
  }
}
