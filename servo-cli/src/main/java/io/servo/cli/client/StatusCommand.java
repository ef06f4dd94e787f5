package io.servo.cli.client;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true, description = "Show an execution: its state, each asset's result and its trace.")
public final class StatusCommand implements Callable<Integer> {
  @Mixin ClientOptions options;

  @Parameters(index = "0", paramLabel = "EXECUTION_ID") String executionId;

  @Override
  public Integer call() {
    ApiClient.Answer answer = options.client().get("v1/executions/" + executionId + "?include=trace");
    if (!answer.ok()) {
      System.err.println("status failed: " + answer.errorText());
      return 1;
    }
    ExecutionView.print(answer.body(), System.out);
    return 0;
  }
}
