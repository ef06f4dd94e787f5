package io.servo.core.workflow;

import java.util.List;

/** A workflow file that cannot be accepted; {@link #problems()} lists every problem found, each fixable on its own. */
public final class WorkflowValidationException extends RuntimeException {
  private final List<String> problems;

  public WorkflowValidationException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
