package io.servo.worker.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.semconv.ExceptionAttributes;
import io.servo.core.execution.ExecutionState;
import io.servo.core.workflow.Asset;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.worker.assets.AssetOutcome;
import io.servo.worker.execution.ExecutionOutcome;
import io.servo.worker.execution.ExecutionRequest;
import java.util.List;

/**
 * What the worker's parts of an unsampled trace become when the trace is kept: the same names,
 * attributes, statuses and events as the spans of a sampled delivery ({@link ExecutionSpans},
 * {@link DeliverySpans}), worked out from what the delivery already holds, only when kept.
 */
final class KeptParts {
  private KeptParts() {}

  /** The SERVER span of {@code POST /execute}, answered with {@code httpStatus}. */
  record Delivery(int httpStatus) implements TraceSkeleton.Detail {
    static final String NAME = "POST " + WorkerSpans.EXECUTE_ROUTE;

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public Attributes attributes() {
      return Attributes.builder()
          .put(io.opentelemetry.semconv.HttpAttributes.HTTP_REQUEST_METHOD, "POST")
          .put(io.opentelemetry.semconv.HttpAttributes.HTTP_ROUTE, WorkerSpans.EXECUTE_ROUTE)
          .put(io.opentelemetry.semconv.UrlAttributes.URL_PATH, WorkerSpans.EXECUTE_ROUTE)
          .put(io.opentelemetry.semconv.HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) httpStatus)
          .build();
    }

    @Override
    public StatusData status() {
      return httpStatus >= 500 ? StatusData.error() : StatusData.unset();
    }
  }

  /** The CONSUMER span {@code worker.execute_workflow}. */
  record Execution(ExecutionRequest request, ExecutionOutcome outcome, Throwable error)
      implements TraceSkeleton.Detail {
    @Override
    public String name() {
      return WorkerSpans.EXECUTE_WORKFLOW;
    }

    @Override
    public Attributes attributes() {
      AttributesBuilder attributes = Attributes.builder()
          .put(WorkerSpans.EXECUTION_ID, request.executionId())
          .put(WorkerSpans.WORKFLOW_ID, request.payload().workflow())
          .put(WorkerSpans.TENANT_ID, request.tenant())
          .put(WorkerSpans.ASSET_COUNT, (long) request.plan().steps().size())
          .put(WorkerSpans.MESSAGING_SYSTEM, WorkerSpans.GCP_CLOUD_TASKS)
          .put(WorkerSpans.MESSAGING_OPERATION_TYPE, WorkerSpans.PROCESS);
      if (request.delivery().taskName() != null) {
        attributes.put(WorkerSpans.MESSAGING_MESSAGE_ID, request.delivery().taskName());
      }
      if (outcome instanceof ExecutionOutcome.Ended ended) {
        attributes.put(WorkerSpans.EXECUTION_STATE, ended.state().wireName());
      }
      return attributes.build();
    }

    @Override
    public StatusData status() {
      if (outcome instanceof ExecutionOutcome.Ended ended && !ended.replayed()
          && ended.state() != ExecutionState.SUCCEEDED) {
        return StatusData.create(StatusCode.ERROR,
            "execution " + ended.state().wireName() + ExecutionSpans.firstFailure(ended));
      }
      return StatusData.unset();
    }

    @Override
    public List<EventData> events(long endEpochNanos) {
      return error == null ? List.of() : List.of(EventData.create(endEpochNanos, "exception", Attributes.of(
          ExceptionAttributes.EXCEPTION_TYPE, error.getClass().getName(),
          ExceptionAttributes.EXCEPTION_MESSAGE, "the delivery stopped: " + error.getClass().getSimpleName())));
    }
  }

  /** The INTERNAL span {@code worker.execute_asset} of one asset run. */
  record AssetRun(Asset asset, AssetOutcome outcome, Throwable error) implements TraceSkeleton.Detail {
    @Override
    public String name() {
      return WorkerSpans.EXECUTE_ASSET;
    }

    @Override
    public Attributes attributes() {
      AttributesBuilder attributes = Attributes.builder()
          .put(WorkerSpans.ASSET_NAME, asset.name())
          .put(WorkerSpans.ASSET_KIND, asset.kind().wireName());
      if (outcome != null && outcome.timedOut()) {
        attributes.put(WorkerSpans.ASSET_TIMED_OUT, true);
      }
      return attributes.build();
    }

    @Override
    public StatusData status() {
      if (outcome != null && !outcome.succeeded()) {
        return StatusData.create(StatusCode.ERROR, ExecutionSpans.firstLine(outcome.error()));
      }
      if (error != null) {
        return StatusData.create(StatusCode.ERROR, "the asset did not finish ("
            + error.getClass().getSimpleName() + ")");
      }
      return StatusData.unset();
    }

    @Override
    public List<EventData> events(long endEpochNanos) {
      if (outcome == null || outcome.succeeded()) {
        return List.of();
      }
      return List.of(EventData.create(endEpochNanos, "exception", Attributes.of(
          ExceptionAttributes.EXCEPTION_TYPE, ExecutionSpans.failureType(asset, outcome),
          ExceptionAttributes.EXCEPTION_MESSAGE, ExecutionSpans.failureMessage(outcome))));
    }
  }
}
