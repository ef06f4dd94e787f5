package io.servo.cli.server;

import io.servo.cli.StartupException;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.queue.cloudtasks.CloudTasksConfig;
import io.servo.settings.Settings;
import io.servo.settings.SettingsException;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The settings of every part a command starts (tracing, worker, orchestrator with its tenant grants,
 * Cloud Tasks queue), all read before anything starts, so that one run reports every unusable
 * variable at once instead of one part per run.
 *
 * <pre>{@code
 * StartupSettings settings = new StartupSettings("the worker");
 * TracingConfig tracing = settings.tracing(env);
 * WorkerConfig worker = settings.worker(env);
 * settings.check(); // one StartupException listing the problems of both
 * }</pre>
 */
public final class StartupSettings {
  private final String subject;
  private final List<SettingsException.Problem> problems = new ArrayList<>();

  /** @param subject what cannot start, e.g. {@code "the worker"}; the start of the message */
  public StartupSettings(String subject) {
    this.subject = Objects.requireNonNull(subject, "subject");
  }

  /** The tracing variables; null when one is unusable (reported by {@link #check()}). */
  public TracingConfig tracing(Map<String, String> env) {
    return read(() -> TracingConfig.from(env));
  }

  /** The worker's variables and tenant grants; null when one is unusable. */
  public WorkerConfig worker(Map<String, String> env) {
    return read(() -> WorkerConfig.fromEnvironment(env));
  }

  /**
   * The orchestrator's variables and tenant grants, and with {@code SERVO_QUEUE=cloudtasks} the
   * queue's; null when one is unusable.
   */
  public OrchestratorConfig orchestrator(Map<String, String> env) {
    OrchestratorConfig config = read(() -> OrchestratorConfig.fromEnvironment(env));
    boolean cloudTasks = config != null ? config.queue() == OrchestratorConfig.QueueBackend.CLOUDTASKS
        // SERVO_QUEUE may be the one that was fine while another orchestrator variable was not.
        : Settings.of(env, subject).raw(OrchestratorConfig.SERVO_QUEUE)
            .map(q -> q.toLowerCase(Locale.ROOT).equals("cloudtasks")).orElse(false);
    if (cloudTasks) {
      read(() -> CloudTasksConfig.fromEnvironment(env));
    }
    return config;
  }

  /**
   * What {@code reader} returns, or null when it reports unusable settings: they are kept for
   * {@link #check()}. A problem another part already reported (two services reading the same
   * variable) is kept once.
   */
  public <T> T read(Supplier<T> reader) {
    try {
      return Services.configured(reader);
    } catch (StartupException e) {
      if (!(e.getCause() instanceof SettingsException settings)) {
        throw e;
      }
      settings.problems().stream().filter(p -> !problems.contains(p)).forEach(problems::add);
      return null;
    }
  }

  /**
   * @throws StartupException listing every problem read so far, in the
   *     {@link SettingsException} format: {@code <subject> cannot start (N problems):}, one per line
   */
  public void check() {
    if (!problems.isEmpty()) {
      SettingsException all = new SettingsException(subject, problems);
      throw new StartupException(all.getMessage(), all);
    }
  }
}
