package io.servo.core.tenant;

import java.util.List;

/** Tenant grant variables that cannot be used; {@link #problems()} names each variable and what to write. */
public final class TenantPolicyException extends RuntimeException {
  private final List<String> problems;

  public TenantPolicyException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
