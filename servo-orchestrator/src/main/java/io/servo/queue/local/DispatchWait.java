package io.servo.queue.local;

import java.time.Instant;

/**
 * A task that is due but waits in the {@link LocalTaskQueue} for a dispatch slot, and how busy the
 * queue is.
 *
 * @param since when the task became due (its {@code X-CloudTasks-TaskETA})
 * @param inFlight deliveries in flight now, of every tenant
 * @param maxConcurrentDispatches the queue's concurrency ({@code
 *     SERVO_LOCAL_QUEUE_MAX_CONCURRENT_DISPATCHES})
 * @param waiting deliveries waiting for a slot now, this one included
 */
public record DispatchWait(Instant since, int inFlight, int maxConcurrentDispatches, int waiting) {
  /** {@code waiting for a dispatch slot: 4 deliveries in flight, concurrency 4, 2 waiting}. */
  public String describe() {
    return "waiting for a dispatch slot: " + inFlight + (inFlight == 1 ? " delivery" : " deliveries")
        + " in flight, concurrency " + maxConcurrentDispatches + ", " + waiting + " waiting";
  }
}
