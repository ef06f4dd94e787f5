package io.servo.settings;

import java.util.List;
import java.util.Objects;

/**
 * Settings a service cannot start with. The message lists every problem found, one per line when
 * there are several; each names its variable, says what was wrong and what is accepted, and never
 * shows a secret's value.
 */
public final class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** One unusable variable: its name, and the sentence that says what is wrong with it. */
  public record Problem(String variable, String message) {
    public Problem {
      Objects.requireNonNull(variable, "variable");
      Objects.requireNonNull(message, "message");
    }
  }

  private final transient List<Problem> problems;

  /**
   * @param subject what cannot start, e.g. {@code "the worker"}
   * @param problems at least one
   */
  public SettingsException(String subject, List<Problem> problems) {
    this(subject, problems, null);
  }

  public SettingsException(String subject, List<Problem> problems, Throwable cause) {
    super(message(subject, problems), cause);
    this.problems = List.copyOf(problems);
  }

  /** One problem with {@code variable}. */
  public static SettingsException of(String subject, String variable, String message) {
    return new SettingsException(subject, List.of(new Problem(variable, message)));
  }

  /** Every problem, in the order the variables were read. */
  public List<Problem> problems() {
    return problems;
  }

  /** The variables at fault, in the order they were read. */
  public List<String> variables() {
    return problems.stream().map(Problem::variable).distinct().toList();
  }

  private static String message(String subject, List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a SettingsException needs at least one problem");
    }
    String head = Objects.requireNonNull(subject, "subject") + " cannot start";
    if (problems.size() == 1) {
      return head + ": " + problems.get(0).message();
    }
    StringBuilder text = new StringBuilder(head).append(" (").append(problems.size()).append(" problems):");
    problems.forEach(p -> text.append("\n  - ").append(p.message()));
    return text.toString();
  }
}
