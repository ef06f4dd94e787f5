package io.servo.worker.assets;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What the runners let a cross-cutting concern (tracing) decorate, so that they themselves never
 * call it: the warehouse pool of {@code sql} assets, the HTTP client of {@code http} assets, and the
 * environment a {@code command} asset's process starts with. Each method runs on the thread that
 * runs the asset, inside {@code ExecutionInterceptor.aroundAsset}.
 */
public interface RunnerInstrumentation {
  /** Decorates nothing. */
  RunnerInstrumentation NONE = new RunnerInstrumentation() {};

  /** The data source {@code sql} assets use, given the warehouse pool; called once, when it opens. */
  default DataSource warehouse(DataSource pool) {
    return pool;
  }

  /** The client {@code http} assets use, given the worker's one client; called once. */
  default HttpClient httpClient(HttpClient client) {
    return client;
  }

  /**
   * Adds headers to an {@code http} asset's request just before it is built (the trace context, when
   * the client given by {@link #httpClient} does not add it itself).
   */
  default void httpHeaders(HttpRequest.Builder request) {}

  /**
   * Completes the environment of a {@code command} asset's process just before it starts: {@code
   * environment} already holds the allow-listed worker variables and the asset's own {@code env}.
   */
  default void childEnvironment(Map<String, String> environment) {}

  /**
   * A statement of a {@code sql} asset failed (not timed out): it ran from {@code startNanoTime}
   * ({@link System#nanoTime()}) until now on {@code connection}, and {@code reason} is the
   * database's error with the statement's literals masked. Called only on failure, so noting it
   * costs nothing when statements succeed. Must not throw.
   */
  default void statementFailed(Connection connection, String sql, long startNanoTime, String reason,
      SQLException error) {}
}
