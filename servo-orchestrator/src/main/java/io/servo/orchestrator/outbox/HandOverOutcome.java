package io.servo.orchestrator.outbox;

/**
 * What became of one task the API asked the relay to hand over right away.
 *
 * @param status the outcome
 * @param error why the queue refused the task; null unless {@link Status#REFUSED}
 */
public record HandOverOutcome(Status status, String error) {
  public enum Status {
    /** The queue accepted the task. */
    DISPATCHED,
    /** The queue refused it with a non-retryable error; the task stays in the outbox. */
    REFUSED,
    /** Not handed over yet (still queued in the outbox, or refused retryably); the relay keeps trying. */
    PENDING
  }

  static final HandOverOutcome DISPATCHED = new HandOverOutcome(Status.DISPATCHED, null);
  static final HandOverOutcome PENDING = new HandOverOutcome(Status.PENDING, null);

  static HandOverOutcome refused(String error) {
    return new HandOverOutcome(Status.REFUSED, error);
  }
}
