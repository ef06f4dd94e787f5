package io.servo.orchestrator.outbox;

import io.servo.core.queue.QueueException;
import io.servo.core.queue.QueuedTask;
import io.servo.core.queue.TaskQueue;
import io.servo.core.task.InvalidPayloadException;
import io.servo.core.task.TaskPayloadCodec;
import io.servo.core.task.TaskSignature;
import java.util.HashMap;
import java.util.Map;

/**
 * The one way a committed task reaches a queue, for the relay's tasks and the sweeper's
 * redeliveries alike: read the payload's names, pick the tenant's worker (its own, when the operator
 * gave it one, else the shared one), then, inside the producer span that {@link HandOverTrace}
 * opens, sign the body together with the producer's context in Servo's trace headers and give it to
 * that worker's queue (whose client span is thus a child of the producer). The body's bytes are sent
 * exactly as committed.
 *
 * <p>A worker can verify only its own tenants' tasks: a compromised shared worker cannot sign a
 * task that a tenant's own worker accepts. The tenant is read from the body, which the orchestrator
 * itself wrote.
 */
final class HandOver {
  private static final String CONTENT_TYPE = "Content-Type";
  private static final String JSON = "application/json";
  private static final String TRACEPARENT = "traceparent";
  private static final String TRACESTATE = "tracestate";

  /** A worker's queue and the key that worker verifies. */
  record Route(TaskQueue queue, TaskSignature signature) {}

  private final Route shared;
  private final Map<String, Route> routes;
  private final HandOverTrace trace;

  HandOver(Route shared, Map<String, Route> routes, HandOverTrace trace) {
    this.shared = shared;
    this.routes = Map.copyOf(routes);
    this.trace = trace;
  }

  void send(String taskName, byte[] body) throws QueueException {
    TaskPayloadCodec.Header payload;
    try {
      // Only the names and the trace: the definition is the worker's to validate, not the relay's.
      payload = TaskPayloadCodec.readHeader(body);
    } catch (InvalidPayloadException e) {
      throw new QueueException("task " + taskName + " has no readable tenant; not sent to any worker",
          false, e);
    }
    Route route = routes.getOrDefault(payload.tenant(), shared);
    trace.around(new HandOverTrace.Task(route.queue().name(), taskName, payload), context -> {
      Map<String, String> headers = new HashMap<>(route.signature().sign(context, body));
      headers.put(CONTENT_TYPE, JSON);
      if (!context.isEmpty()) {
        // The W3C pair names the same span for front ends and tools; the worker records it only as a
        // link, since nothing signs it (Cloud Run's front end rewrites its parent-id).
        headers.put(TRACEPARENT, context.traceparent());
        String tracestate = headers.get(TaskSignature.TRACESTATE_HEADER);
        if (tracestate != null) {
          headers.put(TRACESTATE, tracestate);
        }
      }
      route.queue().enqueue(new QueuedTask(taskName, body, headers));
    });
  }

  /** The shared queue's name, for logs. */
  String queueName() {
    return shared.queue().name();
  }
}
