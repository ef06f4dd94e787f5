package io.servo.orchestrator.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.semconv.HttpAttributes;
import io.servo.orchestrator.execution.LaunchedExecution;
import io.servo.telemetry.keep.TraceSkeleton;

/**
 * What the orchestrator's parts of an unsampled trace become if the trace is kept: the names and
 * attributes of the sampled spans, worked out from references the parts hold, only when kept (an
 * {@code Attributes} built for every unsampled request would cost what keeping must not).
 */
final class KeptParts {
  private KeptParts() {}

  /** The API request's SERVER span. */
  record Request(String name, String method, String route, int httpStatus) implements TraceSkeleton.Detail {
    @Override
    public Attributes attributes() {
      return Attributes.builder()
          .put(HttpAttributes.HTTP_REQUEST_METHOD, method)
          .put(HttpAttributes.HTTP_ROUTE, route)
          .put(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) httpStatus)
          .build();
    }

    @Override
    public StatusData status() {
      return httpStatus >= 500 ? StatusData.error() : StatusData.unset();
    }
  }

  /** {@code orchestrator.enqueue_execution}. */
  record Launch(TracingExecutionLauncher.Launch launch, LaunchedExecution launched) implements TraceSkeleton.Detail {
    @Override
    public String name() {
      return ServoSpans.ENQUEUE_EXECUTION;
    }

    @Override
    public Attributes attributes() {
      AttributesBuilder attributes = Attributes.builder();
      TracingExecutionLauncher.ATTRIBUTES.onStart(attributes, Context.root(), launch);
      TracingExecutionLauncher.ATTRIBUTES.onEnd(attributes, Context.root(), launch, launched, null);
      return attributes.build();
    }
  }

  /** {@code cloud_tasks.enqueue}, one per hand-over attempt. */
  record HandOver(io.servo.orchestrator.outbox.HandOverTrace.Task task, Throwable error)
      implements TraceSkeleton.Detail {
    @Override
    public String name() {
      return ServoSpans.CLOUD_TASKS_ENQUEUE;
    }

    @Override
    public Attributes attributes() {
      AttributesBuilder attributes = Attributes.builder();
      HandOverAttributes.INSTANCE.onStart(attributes, Context.root(), task);
      return attributes.build();
    }

    @Override
    public StatusData status() {
      return error == null ? StatusData.unset() : StatusData.create(StatusCode.ERROR, error.getClass().getSimpleName());
    }
  }
}
