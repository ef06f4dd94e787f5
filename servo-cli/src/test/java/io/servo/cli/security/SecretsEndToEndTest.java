package io.servo.cli.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.cli.ServoCli;
import io.servo.cli.client.ApiClient;
import io.servo.cloud.gcp.fake.tasks.DispatchAttempt;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One execution with secrets planted everywhere a user might put them, through the production path
 * (Cloud Tasks with OIDC tokens, HMAC, PostgreSQL as a role with a password), then every output
 * scanned for every secret: spans (in memory, the stdout exporter, an OTLP receiver's bodies), log
 * lines in both formats, API answers, what the CLI prints, and every row of Servo's schema.
 */
class SecretsEndToEndTest {
  private static final String API_KEY = "sk_live_cmdenv_4Gx9Qe7Lm2";
  private static final String HOOK_TOKEN = "hooktok_9c1e5b7a3d";
  private static final String URL_PASSWORD = "urlpw_Zr8Kq2Vn6T";
  private static final String URL_TOKEN = "urltok_5Hs3Jd8Wq1";
  private static final String BODY_TOKEN = "bodytok_7Yb2Nc4Xm6";
  private static final String DEAD_PASSWORD = "deadpw_3Lk8Fj1Pq4";
  private static final String DEAD_TOKEN = "deadtok_6Tr9Gh2Sz5";
  private static final String SQL_LITERAL = "sk_live_sqlok_8Dm3Rt6Yp1";
  private static final String SQL_LITERAL_FAILING = "sk_live_sqlbad_2Wq7Ez4Ux9";
  private static final String DB_PASSWORD = "dbpw_Jn5Bv8Cx2Qa";
  private static final String ROLE = "servo_sec_" + Long.toHexString(System.nanoTime());

  private final List<String> hookRequests = new CopyOnWriteArrayList<>();
  private final List<byte[]> otlpBodies = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private PrintStream originalOut;
  private HttpServer hook;
  private HttpServer otlp;
  private SecurityStack stack;
  private EncodedLogs logs;

  @AfterEach
  void stop() {
    if (logs != null) {
      logs.close();
    }
    if (stack != null) {
      stack.close();
    }
    if (hook != null) {
      hook.stop(0);
    }
    if (otlp != null) {
      otlp.stop(0);
    }
    if (originalOut != null) {
      System.setOut(originalOut);
    }
  }

  @Test
  void noSecretAppearsInAnyOutput(@TempDir Path dir) throws Exception {
    startEndpoints();
    // The stdout exporter keeps the stream current when its service starts: tee it.
    originalOut = System.out;
    System.setOut(new PrintStream(new Tee(originalOut, stdout), true, StandardCharsets.UTF_8));
    logs = EncodedLogs.start();
    String hookUrl = "http://hookuser:" + URL_PASSWORD + "@127.0.0.1:" + hook.getAddress().getPort()
        + "/hook?token=" + URL_TOKEN;
    String otlpEndpoint = "http://127.0.0.1:" + otlp.getAddress().getPort();
    stack = SecurityStack.postgresAs(ROLE, DB_PASSWORD)
        .cloudTasks()
        .env(Map.of("API_KEY", API_KEY, "HOOK_TOKEN", HOOK_TOKEN, "HOOK_URL", hookUrl,
            "DEAD_URL", "http://deaduser:" + DEAD_PASSWORD + "@127.0.0.1:1/x?token=" + DEAD_TOKEN))
        // what the operator grants acme for this workflow: its variables, commands, the local hosts
        .env(Map.of("SERVO_TENANT_ACME_ENV", "API_KEY,HOOK_TOKEN,HOOK_URL,DEAD_URL",
            "SERVO_TENANT_ACME_ASSET_KINDS", "sql,command,http", "SERVO_TENANT_ACME_HTTP_HOSTS", "127.0.0.1"))
        .serviceEnv("worker", "SERVO_TRACE_EXPORTER", "stdout")
        .serviceEnv("orchestrator", "SERVO_TRACE_EXPORTER", "otlp")
        .serviceEnv("orchestrator", "SERVO_TRACE_ENDPOINT", otlpEndpoint)
        .workerExporter(OtlpHttpSpanExporter.builder().setEndpoint(otlpEndpoint + "/v1/traces").build())
        .start();
    assertThat(stack.databaseUrl()).contains("password=" + DB_PASSWORD);

    Map<String, String> outputs = new LinkedHashMap<>();
    Path file = dir.resolve("secrets.yaml");
    Files.writeString(file, """
        workflow: secrets
        assets:
          - name: sql_ok
            kind: sql
            sql: "CREATE TABLE IF NOT EXISTS secret_sink (id INTEGER, v TEXT); INSERT INTO secret_sink VALUES (1, '%s')"
          - name: sql_bad
            kind: sql
            sql: "INSERT INTO secret_sink (id) VALUES ('%s')"
          - name: cmd
            kind: command
            command: [sh, -c, 'echo "calling with $API_KEY"; echo "auth failed: key=$API_KEY" >&2; exit 1']
            env: {API_KEY: "${env:API_KEY}"}
          - name: hook
            kind: http
            method: POST
            url: "${env:HOOK_URL}"
            headers: {Authorization: "Bearer ${env:HOOK_TOKEN}"}
            body: '{"event": "done"}'
          - name: dead
            kind: http
            url: "${env:DEAD_URL}"
            timeout: 5s
        """.formatted(SQL_LITERAL, SQL_LITERAL_FAILING));
    String server = "http://127.0.0.1:" + stack.apiPort() + "/";
    String token = SecurityStack.ACME_TOKEN;

    outputs.put("servo deploy", cli("deploy", file.toString(), "--server", server, "--token", token));
    String run = cli("run", "secrets", "--wait", "--timeout", "60s", "--server", server, "--token", token);
    outputs.put("servo run --wait", run);
    String id = run.lines().filter(l -> l.startsWith("execution ")).findFirst().orElseThrow().split(" ")[1];
    outputs.put("servo status", cli("status", id, "--server", server, "--token", token));
    ApiClient api = stack.api(token);
    outputs.put("GET execution", api.get("v1/executions/" + id + "?include=trace").body().toString());
    outputs.put("GET as another tenant", stack.api(SecurityStack.GLOBEX_TOKEN).get("v1/executions/" + id).body().toString());
    outputs.put("POST again", api.post("v1/workflows/secrets/executions", null).body().toString());
    stack.awaitQuiet();

    // The planted values reached their destinations, so not finding them elsewhere means something.
    assertThat(hookRequests).anySatisfy(r -> assertThat(r).contains(HOOK_TOKEN, URL_TOKEN));
    assertThat(outputs.get("servo run --wait")).contains("sql_ok", "succeeded").contains("sql_bad", "failed");
    // The failures that would quote secrets did happen, and were reported without them.
    assertThat(outputs.get("GET execution")).contains("invalid input syntax for type integer: \\\"[REDACTED]\\\"")
        .contains("rejected Authorization: [REDACTED]").contains("calling with [REDACTED]");
    List<String> oidcTokens = stack.cloudTasks.attempts().stream().map(DispatchAttempt::requestHeaders)
        .map(h -> h.get("Authorization")).filter(a -> a != null && a.startsWith("Bearer "))
        .map(a -> a.substring("Bearer ".length())).distinct().toList();
    assertThat(oidcTokens).isNotEmpty();

    List<SpanData> spans = stack.spans();
    assertThat(spans).extracting(SpanData::getName).contains("worker.execute_asset", "POST /execute");
    stack.telemetries.forEach(t -> t.shutdown(Duration.ofSeconds(10)));
    await().atMost(Duration.ofSeconds(10)).until(() -> !otlpBodies.isEmpty() && stdout.size() > 0);

    Map<String, String> secrets = new LinkedHashMap<>();
    secrets.put("command env ${env:API_KEY}", API_KEY);
    secrets.put("http header ${env:HOOK_TOKEN}", HOOK_TOKEN);
    secrets.put("http URL password", URL_PASSWORD);
    secrets.put("http URL ?token=", URL_TOKEN);
    secrets.put("token in a 500 body", BODY_TOKEN);
    secrets.put("unreachable URL password", DEAD_PASSWORD);
    secrets.put("unreachable URL ?token=", DEAD_TOKEN);
    secrets.put("SQL literal", SQL_LITERAL);
    secrets.put("SQL literal of a failing statement", SQL_LITERAL_FAILING);
    secrets.put("database URL password", DB_PASSWORD);
    secrets.put("SERVO_HMAC_SECRET", SecurityStack.HMAC_SECRET);
    secrets.put("API token acme", SecurityStack.ACME_TOKEN);
    secrets.put("API token globex", SecurityStack.GLOBEX_TOKEN);
    for (int i = 0; i < oidcTokens.size(); i++) {
      secrets.put("OIDC ID token " + (i + 1), oidcTokens.get(i));
      secrets.put("OIDC ID token signature " + (i + 1), oidcTokens.get(i).substring(oidcTokens.get(i).lastIndexOf('.') + 1));
    }

    Map<String, String> scanned = new LinkedHashMap<>();
    StringBuilder spanText = new StringBuilder();
    spans.forEach(s -> spanText.append(s).append('\n'));
    scanned.put("spans (in memory)", spanText.toString());
    scanned.put("spans (stdout exporter)", stdout.toString(StandardCharsets.UTF_8));
    StringBuilder otlpText = new StringBuilder();
    otlpBodies.forEach(b -> otlpText.append(new String(b, StandardCharsets.ISO_8859_1)));
    scanned.put("spans (OTLP receiver, raw bytes)", otlpText.toString());
    scanned.put("logs (text and json)", logs.all());
    outputs.forEach((what, text) -> scanned.put("output of " + what, text));
    String dump = stack.dump();
    // A workflow's definition is stored as written: SQL a user writes inline is part of it (values
    // meant to stay secret belong in ${env:…}). Everything else in the database is scanned.
    String rowsOutsideDefinitions = dump.replaceAll("(?m)^tenant_id=\\w+ \\| name=secrets \\| version=\\d+ \\| definition=.*$", "");
    scanned.put("database rows (servo schema)", rowsOutsideDefinitions);
    assertThat(dump).contains("definition=");

    List<String> leaks = new ArrayList<>();
    secrets.forEach((secretName, secret) -> scanned.forEach((outputName, text) -> {
      int at = text.indexOf(secret);
      if (at >= 0) {
        leaks.add(secretName + " in " + outputName + ": …"
            + Hostile.show(text.substring(Math.max(0, at - 200), Math.min(text.length(), at + secret.length() + 60))) + "…");
      }
    }));
    System.out.println("  scanned " + scanned.size() + " outputs (" + scanned.values().stream().mapToInt(String::length).sum()
        + " characters) for " + secrets.size() + " secrets; " + spans.size() + " spans, " + otlpBodies.size()
        + " OTLP requests, " + logs.entries().size() + " log events");
    assertThat(leaks).as("secrets found in outputs").isEmpty();
  }

  private void startEndpoints() throws Exception {
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    hook.createContext("/hook", exchange -> {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String target = exchange.getRequestURI().toString();
      hookRequests.add(auth + " " + target);
      exchange.getRequestBody().readAllBytes();
      // A server that quotes the request back in its error, as many do, and adds a secret of its own.
      byte[] body = ("{\"error\": \"rejected Authorization: " + auth + " for POST " + target
          + "\", \"session\": \"api_key=" + BODY_TOKEN + "\", \"retry_with\": \"Bearer " + BODY_TOKEN + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(500, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    hook.start();
    otlp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    otlp.createContext("/v1/traces", exchange -> {
      otlpBodies.add(exchange.getRequestBody().readAllBytes());
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    otlp.start();
  }

  /** Runs the {@code servo} command as a user types it; returns what it printed on stdout and stderr. */
  private static String cli(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream both = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(both);
    System.setErr(both);
    try {
      int code = ServoCli.execute(args);
      return "exit " + code + "\n" + captured.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  /** Writes to two streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }

    @Override
    public void flush() throws java.io.IOException {
      a.flush();
      b.flush();
    }
  }
}
