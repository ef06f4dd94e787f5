package io.servo.storage;

import java.time.Instant;
import java.util.List;

/**
 * An attempt whose worker stopped renewing its lease while it had spans open, handed to exactly
 * one taker (the claim that took the execution over). The store keeps the records opaque: the
 * worker's tracing wrote them and reads them back.
 *
 * @param attempt the lost attempt's number
 * @param leaseUntil when its lease expired
 * @param openSpans what the attempt recorded at its claim, then what each asset it was running
 *     recorded when it started, in that order
 */
public record LostAttempt(int attempt, Instant leaseUntil, List<String> openSpans) {
  public LostAttempt {
    openSpans = List.copyOf(openSpans);
  }

  /** How the lost attempt's spans describe why they ended: the status a user sees on them. */
  public String description() {
    return "worker lost; lease expired at " + leaseUntil + "; attempt " + attempt + " was taken over";
  }
}
