package io.servo.orchestrator.execution;

import io.servo.core.task.TaskPayload;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TraceMetadata;
import io.servo.storage.CreatedExecution;
import io.servo.storage.NewExecution;
import io.servo.storage.ServoStorage;
import io.servo.storage.StoredWorkflow;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/** The {@link ExecutionLauncher} of the orchestrator: payload and execution row go to the store together. */
public final class StoreExecutionLauncher implements ExecutionLauncher {
  /** Executions start at attempt 1; later attempts (retries by hand, the sweeper) get new task names. */
  static final int FIRST_ATTEMPT = 1;

  private final ServoStorage storage;
  private final TraceContextSource traceContext;
  private final Clock clock;

  private StoreExecutionLauncher(ServoStorage storage, TraceContextSource traceContext, Clock clock) {
    this.storage = storage;
    this.traceContext = traceContext;
    this.clock = clock;
  }

  public static StoreExecutionLauncher create(
      ServoStorage storage, TraceContextSource traceContext, Clock clock) {
    return new StoreExecutionLauncher(
        Objects.requireNonNull(storage, "storage"),
        Objects.requireNonNull(traceContext, "traceContext"),
        Objects.requireNonNull(clock, "clock"));
  }

  @Override
  public Optional<LaunchedExecution> launch(String tenant, String workflow, String idempotencyKey) {
    Optional<StoredWorkflow> stored = storage.workflows().latest(tenant, workflow);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    String executionId = UUID.randomUUID().toString();
    TaskPayload payload = payload(executionId, stored.get());
    String taskName = TaskNames.forExecution(executionId, FIRST_ATTEMPT);
    CreatedExecution created =
        storage.executions().create(
            new NewExecution(executionId, tenant, workflow, stored.get().version(), idempotencyKey,
                traceId(payload.trace()), payload.trace().traceparent()),
            taskName,
            TaskPayloadCodec.encode(payload));
    String actualTask =
        created.created() ? taskName : TaskNames.forExecution(created.execution().id(), FIRST_ATTEMPT);
    return Optional.of(new LaunchedExecution(created.execution(), created.created(), actualTask));
  }

  /** Payloads are made in one place, so the trace context is always injected. */
  private TaskPayload payload(String executionId, StoredWorkflow workflow) {
    return TaskPayloads.forExecution(executionId, workflow, clock.instant(), traceContext.current());
  }

  /** The trace id inside a W3C traceparent ({@code 00-<trace id>-<span id>-<flags>}), or null. */
  private static String traceId(TraceMetadata trace) {
    String traceparent = trace.traceparent();
    if (traceparent == null || traceparent.length() < 35) {
      return null;
    }
    return traceparent.substring(3, 35);
  }
}
