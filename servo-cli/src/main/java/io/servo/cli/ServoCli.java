package io.servo.cli;

import io.servo.cli.client.CliException;
import io.servo.cli.client.DeployCommand;
import io.servo.cli.client.RunCommand;
import io.servo.cli.client.StatusCommand;
import io.servo.cli.webhook.WebhookSinkCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code servo} command. Exit codes, one meaning each: {@value #OK} done (an execution that
 * succeeded), {@value #FAILED} the execution failed or timed out, or the API refused the request,
 * {@value #USAGE} the command line is wrong, {@value #CANNOT_START} a service could not start as
 * configured, {@value #GAVE_UP} {@code run --wait} stopped waiting before the execution ended.
 */
@Command(
    name = "servo",
    mixinStandardHelpOptions = true,
    version = ServoCli.VERSION,
    description = "Serverless data orchestration with one distributed trace per execution.",
    footer = {"", "Exit codes: 0 done; 1 the execution failed, or the request was refused;",
        "2 usage error; 3 a service could not start; 4 run --wait gave up waiting.",
        "Run `./servo COMMAND --help` for a command's options."},
    subcommands = {
      CommandLine.HelpCommand.class,
      VersionCommand.class,
      DemoCommand.class,
      DevCommand.class,
      OrchestratorCommand.class,
      WorkerCommand.class,
      DeployCommand.class,
      RunCommand.class,
      StatusCommand.class,
      WebhookSinkCommand.class,
      BenchCommand.class
    })
public final class ServoCli implements Runnable {
  public static final String VERSION = "servo 0.1.0";
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = CommandLine.ExitCode.USAGE;
  public static final int CANNOT_START = 3;
  public static final int GAVE_UP = 4;

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
    return execute(CommandLine.defaultFactory(), args);
  }

  /** Like {@link #execute(String...)}, with the commands made by {@code factory} (tests give them an environment). */
  static int execute(CommandLine.IFactory factory, String... args) {
    CommandLine cli = new CommandLine(new ServoCli(), factory);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CliException || e instanceof StartupException) {
            commandLine.getErr().println("servo: " + e.getMessage());
            return e instanceof StartupException ? CANNOT_START
                : ((CliException) e).usage() ? USAGE : FAILED;
          }
          throw e;
        });
    return cli.execute(args);
  }
}
