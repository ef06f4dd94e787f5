package io.servo.orchestrator.sweeper;

/** Why the sweeper judged an execution stuck. */
public enum StuckReason {
  /** Running, but its worker stopped renewing the lease (it died) or gave the claim back. */
  LEASE_EXPIRED("lease_expired"),
  /** Pending, its task accepted by a queue, and never claimed: the queue lost the task. */
  PENDING_WITHOUT_TASK("pending_without_task");

  private final String id;

  StuckReason(String id) {
    this.id = id;
  }

  /** As written in logs and on the redelivery span ({@code servo.redelivery.reason}). */
  public String id() {
    return id;
  }
}
