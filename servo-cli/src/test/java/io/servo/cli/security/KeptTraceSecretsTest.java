package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.ExceptionAttributes;
import io.servo.storage.ExecutionStore;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.keep.TraceKeep;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A hostile tenant's failing work in an unsampled execution, kept whole (retroactive keep): a
 * statement whose literal the database quotes back in its error, and a command that prints a
 * resolved {@code ${env:…}} value in its error output. Neither secret may reach the worker's part of
 * the kept trace in the execution's row ({@code executions.kept_spans}, read raw while it is
 * there), any span the orchestrator exports, the execution's row, or a log line; the kept trace
 * still says which statement failed and why, with the secret masked.
 *
 * <p>The worker's part stays in the row only until the orchestrator's next poll (2 s): to read it
 * there without a race, the orchestrator's storage hears of no ended execution until the test has
 * read the row (the poll is held, not the worker), then the poll goes on and exports.
 */
class KeptTraceSecretsTest {
  private static final String SQL_SECRET = "hunter2-SECRET";
  private static final String ENV_SECRET = "envtok_Q7x2Lp9Zk4Vb";
  private static final List<String> SECRETS = List.of(SQL_SECRET, ENV_SECRET);
  private static final AttributeKey<String> QUERY_TEXT = AttributeKey.stringKey("db.query.text");

  private final AtomicBoolean pollHeld = new AtomicBoolean(true);

  @Test
  void aKeptTraceExplainsTheFailureWithoutTheTenantsSecrets() throws Exception {
    try (EncodedLogs logs = EncodedLogs.start();
        SecurityStack stack = SecurityStack.postgres()
            .env("SERVO_TRACE_SAMPLE_RATE", "0.0") // every execution unsampled: only a kept trace is exported
            .env("LEAKY_TOKEN", ENV_SECRET)
            .env(Map.of("SERVO_TENANT_ACME_ENV", "LEAKY_TOKEN", "SERVO_TENANT_ACME_ASSET_KINDS", "sql,command"))
            .orchestratorStorage(this::withPollHeld)
            .start()) {
      failAndKeep(stack, logs);
    }
  }

  private void failAndKeep(SecurityStack stack, EncodedLogs logs) throws Exception {
    String sqlExecution = stack.runToEnd(SecurityStack.ACME_TOKEN, "quoted", """
        workflow: quoted
        assets:
          - name: cast
            kind: sql
            sql: "SELECT 1 WHERE '%1$s' <> ''; SELECT '%1$s'::int"
        """.formatted(SQL_SECRET)).path("execution_id").asText();
    // An escape string: the database quotes the value it read, not the text written.
    String escapedExecution = stack.runToEnd(SecurityStack.ACME_TOKEN, "escaped", """
        workflow: escaped
        assets:
          - name: cast
            kind: sql
            sql: |
              SELECT E'hunter2\\x2dSECRET'::int
        """).path("execution_id").asText();
    String commandExecution = stack.runToEnd(SecurityStack.ACME_TOKEN, "echoed", """
        workflow: echoed
        assets:
          - name: call
            kind: command
            command: [sh, -c, 'echo "calling with token=$TOKEN" >&2; exit 3']
            env: {TOKEN: "${env:LEAKY_TOKEN}"}
        """).path("execution_id").asText();

    // The worker's parts, as they wait in the rows for the orchestrator.
    for (String execution : List.of(sqlExecution, escapedExecution, commandExecution)) {
      String raw = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> keptSpans(stack, execution), v -> v != null);
      assertThat(raw).as("kept_spans of %s", execution).doesNotContain(SECRETS).contains("[REDACTED]");
    }
    assertThat(keptSpans(stack, sqlExecution)).contains("invalid input syntax for type integer");
    assertThat(keptSpans(stack, commandExecution)).contains("calling with token=[REDACTED]");

    pollHeld.set(false);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(keptSpans(stack, sqlExecution)).as("read and cleared by the orchestrator").isNull();
      assertThat(keptSpans(stack, escapedExecution)).isNull();
      assertThat(keptSpans(stack, commandExecution)).isNull();
      assertThat(tracesOf(stack.spans()).keySet()).hasSize(3);
    });
    List<SpanData> spans = stack.spans();
    Map<String, List<SpanData>> traces = tracesOf(spans);

    // Kept whole, and it explains the failure: the statement, sanitized, and the database's error, masked.
    assertThat(spans).allSatisfy(s -> assertThat(s.getAttributes().get(TraceKeep.KEPT)).isEqualTo("error"));
    assertThat(traces.values()).allSatisfy(trace -> assertThat(trace).extracting(SpanData::getName)
        .contains("POST /v1/workflows/{name}/executions", "orchestrator.enqueue_execution", "cloud_tasks.enqueue",
            "POST /execute", "worker.execute_workflow", "worker.execute_asset"));
    List<SpanData> statements = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT
        && s.getStatus().getStatusCode() == StatusCode.ERROR).toList();
    assertThat(statements).hasSize(2).allSatisfy(statement -> {
      assertThat(statement.getAttributes().get(QUERY_TEXT)).contains("?::int");
      assertThat(statement.getEvents()).singleElement().satisfies(e -> assertThat(
          e.getAttributes().get(ExceptionAttributes.EXCEPTION_MESSAGE))
          .startsWith("ERROR: invalid input syntax for type integer: "));
    });
    assertThat(spans).anySatisfy(s -> {
      assertThat(s.getName()).isEqualTo("worker.execute_asset");
      assertThat(s.getEvents()).anySatisfy(e -> assertThat(e.getAttributes().get(ExceptionAttributes.EXCEPTION_MESSAGE))
          .contains("calling with token=[REDACTED]"));
    });

    // Nowhere: spans (names, attributes, events, status, links, resource), the executions' rows, logs.
    for (String secret : SECRETS) {
      assertThat(SpanChecks.containing(spans, secret)).as("spans holding %s", secret).isEmpty();
      assertThat(logs.all()).as("logs").doesNotContain(secret);
    }
    assertThat(executionRows(stack)).doesNotContain(SECRETS).contains("[REDACTED]");
  }

  /** {@code storage} whose executions report no ended execution to the kept-trace poll while it is held. */
  private ServoStorage withPollHeld(ServoStorage storage) {
    ExecutionStore executions = storage.executions();
    ExecutionStore held = proxy(ExecutionStore.class, executions, (method, args) ->
        pollHeld.get() && method.getName().equals("endedOf") ? List.of() : null);
    return proxy(ServoStorage.class, storage, (method, args) -> method.getName().equals("executions") ? held : null);
  }

  /** Answers from {@code override} where it gives an answer, else from {@code target}. */
  private static <T> T proxy(Class<T> type, T target,
      java.util.function.BiFunction<java.lang.reflect.Method, Object[], Object> override) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
      Object answer = override.apply(method, args);
      if (answer != null) {
        return answer;
      }
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }));
  }

  private static String keptSpans(SecurityStack stack, String execution) throws Exception {
    try (Connection c = stack.admin();
        PreparedStatement s = c.prepareStatement("SELECT kept_spans FROM servo.executions WHERE id = ?")) {
      s.setString(1, execution);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? r.getString(1) : null;
      }
    }
  }

  /** Every row of the executions and what their assets recorded, as text. */
  private static String executionRows(SecurityStack stack) {
    String dump = stack.dump();
    return java.util.Arrays.stream(dump.split("(?m)^== ")).filter(t -> !t.startsWith("workflow"))
        .collect(Collectors.joining("== "));
  }

  private static Map<String, List<SpanData>> tracesOf(List<SpanData> spans) {
    return spans.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
  }
}
