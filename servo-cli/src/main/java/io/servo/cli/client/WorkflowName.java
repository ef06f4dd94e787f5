package io.servo.cli.client;

import io.servo.core.workflow.WorkflowLoader;
import io.servo.core.workflow.WorkflowValidationException;
import java.nio.file.Path;

/** The workflow name a file declares, found by validating the file locally before it is sent. */
final class WorkflowName {
  private WorkflowName() {}

  static String of(byte[] body, Path file) {
    try {
      return WorkflowLoader.parse(body).name();
    } catch (WorkflowValidationException e) {
      StringBuilder msg = new StringBuilder(file + " is not a valid workflow:");
      e.problems().forEach(p -> msg.append("\n  - ").append(p));
      throw new CliException(msg.toString());
    }
  }
}
