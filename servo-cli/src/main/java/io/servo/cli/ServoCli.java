package io.servo.cli;

import io.servo.cli.client.CliException;
import io.servo.cli.client.DeployCommand;
import io.servo.cli.client.RunCommand;
import io.servo.cli.client.StatusCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code servo} command. */
@Command(
    name = "servo",
    mixinStandardHelpOptions = true,
    version = "servo 0.1.0",
    description = "Serverless data orchestration with one distributed trace per execution.",
    subcommands = {
      DemoCommand.class,
      DevCommand.class,
      OrchestratorCommand.class,
      WorkerCommand.class,
      DeployCommand.class,
      RunCommand.class,
      StatusCommand.class
    })
public final class ServoCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (tests call this instead of {@link #main}). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new ServoCli());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CliException || e instanceof StartupException) {
            commandLine.getErr().println("servo: " + e.getMessage());
            return e instanceof StartupException ? 2 : 1;
          }
          throw e;
        });
    return cli.execute(args);
  }
}
