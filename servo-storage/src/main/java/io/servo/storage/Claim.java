package io.servo.storage;

import java.util.Objects;
import java.util.Optional;

/**
 * A worker's successful claim of an execution.
 *
 * @param execution the execution as claimed (running, under the claim's attempt)
 * @param lost the attempt this claim took over whose worker died with spans open; null otherwise
 */
public record Claim(Execution execution, LostAttempt lost) {
  public Claim {
    Objects.requireNonNull(execution, "execution");
  }

  /** The attempt whose open spans this claim must end, if it took one over. */
  public Optional<LostAttempt> lostAttempt() {
    return Optional.ofNullable(lost);
  }
}
