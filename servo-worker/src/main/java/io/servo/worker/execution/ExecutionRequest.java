package io.servo.worker.execution;

import io.servo.core.plan.ExecutionPlan;
import io.servo.core.task.TaskPayload;

/**
 * One authenticated delivery of a task: the signed payload, the queue's delivery headers and the
 * plan compiled from the payload's definition. What an {@link ExecutionInterceptor} sees.
 */
public record ExecutionRequest(TaskPayload payload, Delivery delivery, ExecutionPlan plan) {
  public String executionId() {
    return payload.executionId();
  }

  public String tenant() {
    return payload.tenant();
  }
}
