package io.servo.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "deploy", mixinStandardHelpOptions = true, description = "Deploy a workflow file (YAML or JSON) to the orchestrator.")
public final class DeployCommand implements Callable<Integer> {
  @Mixin ClientOptions options;

  @Parameters(index = "0", paramLabel = "FILE", description = "The workflow file")
  Path file;

  @Override
  public Integer call() throws IOException {
    if (!Files.isRegularFile(file)) {
      throw CliException.usage("no such file: " + file + " (deploy FILE: the path of a workflow file, YAML or JSON)");
    }
    byte[] body = Files.readAllBytes(file);
    String name = WorkflowName.of(body, file);
    String type = file.toString().endsWith(".json") ? "application/json" : "application/yaml";
    ApiClient.Answer answer = options.client().put("v1/workflows/" + name, body, type);
    if (!answer.ok()) {
      System.err.println("deploy failed: " + answer.errorText());
      return 1;
    }
    JsonNode b = answer.body();
    System.out.printf("deployed %s version %s (tenant %s): %s%n", b.path("workflow").asText(name),
        b.path("version").asText(), b.path("tenant").asText(), b.path("assets").toString());
    return 0;
  }
}
