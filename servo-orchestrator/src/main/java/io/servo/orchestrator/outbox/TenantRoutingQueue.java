package io.servo.orchestrator.outbox;

import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.InvalidPayloadException;
import io.servo.core.task.TaskPayloadCodec;
import java.util.Map;

/**
 * Sends each task to its tenant's own worker when the operator gave the tenant one, signed with
 * that worker's key; every other task to the shared worker, signed with the shared key. A worker
 * can therefore verify only its own tenants' tasks: a compromised shared worker cannot sign a task
 * that a tenant's own worker accepts. The tenant is read from the body, which the orchestrator
 * itself wrote.
 */
final class TenantRoutingQueue implements TaskQueue {
  private final TaskQueue shared;
  /** Tenant → its own worker's queue, already signing with that worker's key. */
  private final Map<String, TaskQueue> routes;

  TenantRoutingQueue(TaskQueue shared, Map<String, TaskQueue> routes) {
    this.shared = shared;
    this.routes = Map.copyOf(routes);
  }

  @Override
  public void enqueue(QueuedTask task) throws QueueException {
    String tenant;
    try {
      tenant = TaskPayloadCodec.readHeader(task.body()).tenant();
    } catch (InvalidPayloadException e) {
      throw new QueueException("task " + task.name() + " has no readable tenant; not sent to any worker",
          false, e);
    }
    routes.getOrDefault(tenant, shared).enqueue(task);
  }

  @Override
  public String name() {
    return shared.name();
  }
}
