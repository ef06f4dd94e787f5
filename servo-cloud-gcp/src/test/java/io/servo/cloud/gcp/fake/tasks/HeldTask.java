package io.servo.cloud.gcp.fake.tasks;

import com.google.cloud.tasks.v2.Task;
import java.util.concurrent.ScheduledFuture;

/** A task the fake holds until a 2xx, max attempts, or DeleteTask. Guarded by its own monitor. */
final class HeldTask {
  private Task task;
  private int retryCount;
  private int executionCount;
  private int previousResponse;
  private String retryReason;
  private boolean deleted;
  private ScheduledFuture<?> next;

  HeldTask(Task task) {
    this.task = task;
  }

  synchronized Task task() {
    return task;
  }

  synchronized void update(Task task) {
    this.task = task;
  }

  synchronized int retryCount() {
    return retryCount;
  }

  synchronized int executionCount() {
    return executionCount;
  }

  synchronized int previousResponse() {
    return previousResponse;
  }

  synchronized String retryReason() {
    return retryReason;
  }

  /** Records a failed attempt; {@code status} 0 means no response arrived. */
  synchronized void failed(int status, String reason) {
    retryCount++;
    // Cloud Tasks counts responses from the handler, except 5xx ones (see the README).
    if (status > 0 && status < 500) {
      executionCount++;
    }
    previousResponse = status;
    retryReason = reason;
  }

  synchronized boolean deleted() {
    return deleted;
  }

  synchronized boolean delete() {
    if (deleted) {
      return false;
    }
    deleted = true;
    if (next != null) {
      next.cancel(false);
    }
    return true;
  }

  synchronized void scheduled(ScheduledFuture<?> next) {
    this.next = next;
  }
}
