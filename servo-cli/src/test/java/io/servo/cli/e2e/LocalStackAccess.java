package io.servo.cli.e2e;

import java.util.Map;

/** {@link LocalStack} for tests outside this package. */
public final class LocalStackAccess implements AutoCloseable {
  private final LocalStack stack;

  private LocalStackAccess(LocalStack stack) {
    this.stack = stack;
  }

  public static LocalStackAccess start(String databaseUrl, Map<String, String> env) {
    return new LocalStackAccess(LocalStack.start(databaseUrl, env));
  }

  public String url() {
    return stack.apiUrl().toString();
  }

  @Override
  public void close() {
    stack.close();
  }
}
