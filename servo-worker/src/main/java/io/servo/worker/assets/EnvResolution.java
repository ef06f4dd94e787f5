package io.servo.worker.assets;

import io.servo.core.workflow.EnvReferences;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Resolves the {@code ${env:NAME}} references of one asset run against the worker's environment
 * and remembers every value it handed out, so everything the run reports can be redacted.
 */
final class EnvResolution {
  private final Map<String, String> environment;
  private final Set<String> resolved = new LinkedHashSet<>();

  EnvResolution(Map<String, String> environment) {
    this.environment = environment;
  }

  /**
   * @throws IllegalStateException naming the variable (never a value) when it is not set
   */
  String resolve(String template) {
    return EnvReferences.resolve(template, name -> {
      String value = environment.get(name);
      if (value != null) {
        resolved.add(value);
      }
      return value;
    });
  }

  Redactor redactor() {
    return Redactor.of(resolved);
  }
}
