package io.servo.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.execution.ExecutionState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Start an execution of a deployed workflow.")
public final class RunCommand implements Callable<Integer> {
  @Mixin ClientOptions options;

  @Parameters(index = "0", paramLabel = "WORKFLOW") String workflow;

  @Option(names = "--wait", description = "Wait for the execution to end, printing each asset's progress")
  boolean waitForEnd;

  @Option(names = "--idempotency-key", paramLabel = "K",
      description = "Starting again with the same key returns the same execution")
  String idempotencyKey;

  @Option(names = "--timeout", defaultValue = "30m", description = "How long --wait waits (default ${DEFAULT-VALUE})")
  String timeout;

  @Override
  public Integer call() throws InterruptedException {
    if (waitForEnd && io.servo.settings.DurationText.parse(timeout).isEmpty()) {
      throw CliException.usage("--timeout '" + timeout + "' is not a duration: use 30s, 5m or 1h");
    }
    ApiClient client = options.client();
    ApiClient.Answer started = client.post("v1/workflows/" + workflow + "/executions", idempotencyKey);
    if (!started.ok()) {
      System.err.println("run failed: " + started.errorText());
      return 1;
    }
    String id = started.body().path("execution_id").asText();
    System.out.println("execution " + id + (started.status() == 200 ? " (existing, same idempotency key)" : " started")
        + (started.body().hasNonNull("trace_id") ? "  trace " + started.body().get("trace_id").asText() : ""));
    if (started.body().hasNonNull("enqueue_error")) {
      System.err.println("warning: the queue refused the task (it stays in the outbox and is retried): "
          + started.body().get("enqueue_error").asText());
    }
    if (!waitForEnd) {
      return 0;
    }
    return follow(client, id, io.servo.settings.DurationText.parse(timeout)
        .orElseThrow(() -> CliException.usage("--timeout '" + timeout + "' is not a duration: use 30s, 5m or 1h")));
  }

  /** Polls the execution, printing each asset once when it reaches a new status; the exit code follows its end state. */
  public static int follow(ApiClient client, String id, Duration timeout) throws InterruptedException {
    Map<String, String> printed = new HashMap<>();
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      ApiClient.Answer answer = client.get("v1/executions/" + id);
      if (!answer.ok()) {
        System.err.println("status failed: " + answer.errorText());
        return 1;
      }
      JsonNode execution = answer.body();
      for (JsonNode asset : execution.path("assets")) {
        String name = asset.path("name").asText();
        String status = asset.path("status").asText();
        if (!status.equals(printed.put(name, status))) {
          System.out.println(ExecutionView.assetLine(asset));
        }
      }
      ExecutionState state = ExecutionState.fromWireName(execution.path("state").asText()).orElse(ExecutionState.PENDING);
      if (state.isEnded()) {
        System.out.println();
        ExecutionView.print(execution, System.out);
        return state == ExecutionState.SUCCEEDED ? 0 : 1;
      }
      if (Instant.now().isAfter(deadline)) {
        System.err.println("servo: stopped waiting after " + io.servo.settings.DurationText.format(timeout)
            + " (--timeout); execution " + id + " is still " + state.wireName()
            + ": it goes on; see it with ./servo status " + id);
        return io.servo.cli.ServoCli.GAVE_UP;
      }
      Thread.sleep(300);
    }
  }
}
