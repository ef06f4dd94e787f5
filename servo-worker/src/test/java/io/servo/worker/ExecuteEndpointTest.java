package io.servo.worker;

import static io.servo.worker.support.WorkerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.execution.AssetStatus;
import io.servo.core.execution.ExecutionState;
import io.servo.storage.AssetResult;
import io.servo.storage.Execution;
import io.servo.worker.support.CallLog;
import io.servo.testing.logs.CapturedLogs;
import io.servo.worker.support.TestPrograms;
import io.servo.worker.support.WorkerHarness;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /execute} end to end: a real worker, a real SQLite database, real subprocesses and HTTP. */
class ExecuteEndpointTest {
  private static final String SECRET = "sup3r-s3cret-value-never-stored";

  @TempDir Path dir;
  private CallLog callee;
  private TestPrograms probe;
  private WorkerHarness worker;

  @BeforeEach
  void setUp() {
    callee = CallLog.start();
    probe = TestPrograms.writeTo(dir);
    worker = WorkerHarness.start(dir, Map.of("SECRET", SECRET, "CALLEE", callee.baseUrl()));
  }

  @AfterEach
  void tearDown() {
    worker.close();
    callee.close();
  }

  private String argv(String... args) {
    StringBuilder s = new StringBuilder("[");
    for (String part : probe.command(args)) {
      s.append(s.length() > 1 ? ", " : "").append('"').append(part.replace("\\", "\\\\")).append('"');
    }
    return s.append(']').toString();
  }

  @Test
  void runsOneAssetOfEachKind() throws Exception {
    var task = worker.newExecution("""
        workflow: daily_sales
        tenant: acme
        assets:
          - name: raw_orders
            kind: sql
            sql: |
              CREATE TABLE orders (id INTEGER, amount INTEGER);
              INSERT INTO orders VALUES (1, 10), (2, 20);
              SELECT * FROM orders;
          - name: cleaned_orders
            kind: command
            command: %s
            depends_on: [raw_orders]
          - name: notify
            kind: http
            method: POST
            url: %s/hook
            body: '{"done": true}'
            depends_on: [cleaned_orders]
        """.formatted(argv("mark", dir.resolve("cleaned.mark").toString()), callee.baseUrl()));

    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = json(response);
    assertThat(body.get("execution_id").asText()).isEqualTo(task.executionId());
    assertThat(body.get("state").asText()).isEqualTo("succeeded");
    assertThat(body.get("assets")).hasSize(3);
    assertThat(body.get("assets").findValuesAsText("status")).containsOnly("succeeded");
    assertThat(body.get("assets").get(0).get("output").asText()).isEqualTo(
        "statement 1: done; statement 2: 2 rows affected; statement 3: 2 rows returned");
    assertThat(body.get("assets").get(1).get("kind").asText()).isEqualTo("command");
    assertThat(body.get("assets").get(2).get("output").asText()).startsWith("HTTP 200");

    Execution execution = worker.storage().executions().find("acme", task.executionId()).orElseThrow();
    assertThat(execution.state()).isEqualTo(ExecutionState.SUCCEEDED);
    assertThat(execution.attempt()).isEqualTo(1);
    List<AssetResult> results = worker.storage().executions().assetResults("acme", task.executionId());
    assertThat(results).extracting(AssetResult::assetName)
        .containsExactly("raw_orders", "cleaned_orders", "notify");
    assertThat(results).extracting(AssetResult::status).containsOnly(AssetStatus.SUCCEEDED);
    assertThat(results).allSatisfy(r -> assertThat(r.endedAt()).isNotNull());
    assertThat(Files.exists(dir.resolve("cleaned.mark"))).isTrue();
    assertThat(callee.calls()).containsExactly(
        new CallLog.Call("POST", "/hook", null, "{\"done\": true}"));
    // acme's statements ran in acme's own SQLite file, next to the shared warehouse's
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("warehouse-acme.db"));
         var rs = c.createStatement().executeQuery("SELECT sum(amount) FROM orders")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(30);
    }
  }

  @Test
  void aFailedAssetSkipsItsDependentsButNotIndependentAssets() {
    var task = worker.newExecution("""
        workflow: partial
        assets:
          - name: extract
            kind: command
            command: %s
          - name: transform
            kind: http
            url: %s/transform
            depends_on: [extract]
          - name: load
            kind: sql
            sql: CREATE TABLE never_created (id INTEGER)
            depends_on: [transform]
          - name: independent
            kind: http
            url: %s/independent
        """.formatted(argv("fail", "7", "extract blew up"), callee.baseUrl(), callee.baseUrl()));

    HttpResponse<String> response;
    String warnings;
    try (CapturedLogs logs = CapturedLogs.attach()) {
      response = worker.post(task.body());
      warnings = logs.textAt("WARN");
    }
    // A failure is logged at WARN with its reason, for the operator who has only the logs.
    assertThat(warnings).contains("asset extract (command) failed after").contains("exit code 7: extract blew up")
        .containsPattern("attempt 1 ended failed: asset 'extract' failed: exit code 7: extract blew up");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = json(response);
    assertThat(body.get("state").asText()).isEqualTo("failed");
    Map<String, AssetStatus> statuses = statuses(task);
    assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of(
        "extract", AssetStatus.FAILED, "transform", AssetStatus.SKIPPED,
        "load", AssetStatus.SKIPPED, "independent", AssetStatus.SUCCEEDED));
    assertThat(callee.count("/transform")).isZero();
    assertThat(callee.count("/independent")).isEqualTo(1);
    Execution execution = worker.storage().executions().find("default", task.executionId()).orElseThrow();
    assertThat(execution.state()).isEqualTo(ExecutionState.FAILED);
    assertThat(execution.error()).isEqualTo("asset 'extract' failed: exit code 7: extract blew up");
    AssetResult extract = result(task, "extract");
    assertThat(extract.error()).isEqualTo("exit code 7: extract blew up");
    assertThat(result(task, "load").error()).contains("depends on 'transform'");
  }

  @Test
  void redeliveryOfAnEndedExecutionChangesNothing() {
    var task = worker.newExecution("""
        workflow: once
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(callee.baseUrl()));
    HttpResponse<String> first = worker.post(task.body());
    assertThat(first.statusCode()).isEqualTo(200);
    Execution ended = worker.storage().executions().find("default", task.executionId()).orElseThrow();
    List<AssetResult> results = worker.storage().executions().assetResults("default", task.executionId());

    HttpResponse<String> again = worker.post(task.body());

    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json(again)).isEqualTo(json(first));
    assertThat(worker.storage().executions().find("default", task.executionId())).contains(ended);
    assertThat(worker.storage().executions().assetResults("default", task.executionId()))
        .isEqualTo(results);
    assertThat(callee.count("/ping")).isEqualTo(1);
  }

  @Test
  void anHttpAssetNeverFollowsARedirect() {
    var task = worker.newExecution("""
        workflow: moved
        assets:
          - name: hook
            kind: http
            url: %s/redirect
            headers:
              Authorization: Bearer ${env:SECRET}
        """.formatted(callee.baseUrl()));

    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("failed");
    assertThat(result(task, "hook").error()).isEqualTo("GET " + callee.baseUrl() + " (from " + callee.baseUrl()
        + "/redirect) failed: HTTP 302 Found");
    assertThat(callee.count("/redirect")).isEqualTo(1);
    assertThat(callee.count("/redirected")).isZero();
  }

  @Test
  void aCommandPastItsTimeoutIsKilledWithItsChildrenAndTheExecutionTimesOut() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    // The grandchild is found on this machine by its unique argument: in the command sandbox its
    // pid is one of its own PID namespace, not this machine's.
    String sleepFor = "120." + (System.nanoTime() % 1_000_000_000L);
    var task = worker.newExecution("""
        workflow: slow
        assets:
          - name: sleepy
            kind: command
            command: %s
            timeout: 6s
        """.formatted(argv("spawn-and-sleep", pidFile.toString(), sleepFor)));

    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("timeout");
    AssetResult sleepy = result(task, "sleepy");
    assertThat(sleepy.status()).isEqualTo(AssetStatus.FAILED);
    assertThat(sleepy.error()).startsWith("timed out after 6s");
    var ended = worker.storage().executions().find("default", task.executionId()).orElseThrow();
    assertThat(ended.state()).isEqualTo(ExecutionState.TIMEOUT);
    assertThat(ended.error()).as("a timeout reads as one").startsWith("asset 'sleepy' timed out: timed out after 6s");
    assertThat(pidFile).as("the grandchild was started").exists();
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.allProcesses()
        .noneMatch(h -> h.info().commandLine().orElse("").contains(sleepFor)));
  }

  @Test
  void resolvedSecretsReachTheirTargetButAreNeverStoredReturnedOrLogged() {
    try (CapturedLogs logs = CapturedLogs.attach()) {
      var task = worker.newExecution("""
          workflow: secrets
          assets:
            - name: child
              kind: command
              command: %s
              env: {API_KEY: "${env:SECRET}"}
            - name: call
              kind: http
              url: "${env:CALLEE}/hook/${env:SECRET}"
              headers: {Authorization: "Bearer ${env:SECRET}"}
            - name: fails_loudly
              kind: http
              url: "${env:CALLEE}/fail/${env:SECRET}"
          """.formatted(argv("print-env", "API_KEY", "SERVO_HMAC_SECRET", "SECRET")));

      HttpResponse<String> response = worker.post(task.body());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      // The callee got the real values...
      assertThat(callee.calls()).contains(
          new CallLog.Call("GET", "/hook/" + SECRET, "Bearer " + SECRET, ""));
      // ...the child got its own variable but none of the worker's.
      AssetResult child = result(task, "child");
      assertThat(child.status()).isEqualTo(AssetStatus.SUCCEEDED);
      assertThat(child.output()).contains("API_KEY=[REDACTED]")
          .contains("SERVO_HMAC_SECRET=null").contains("SECRET=null");
      // Nothing recorded, returned or logged holds the value (the callee echoes it back too).
      assertThat(result(task, "call").output()).contains("[REDACTED]");
      assertThat(result(task, "fails_loudly").error()).isEqualTo("GET " + callee.baseUrl()
          + " (from ${env:CALLEE}/fail/${env:SECRET}) failed: HTTP 500 Internal Server Error");
      assertThat(response.body()).doesNotContain(SECRET).doesNotContain(WorkerHarness.HMAC_SECRET);
      for (AssetResult r : worker.storage().executions().assetResults("default", task.executionId())) {
        assertThat(r.output() + " " + r.error()).doesNotContain(SECRET);
      }
      Execution execution =
          worker.storage().executions().find("default", task.executionId()).orElseThrow();
      assertThat(execution.error()).doesNotContain(SECRET);
      assertThat(logs.text()).doesNotContain(SECRET).doesNotContain(WorkerHarness.HMAC_SECRET)
          .contains("execution " + task.executionId());
    }
  }

  @Test
  void anExecutionOfADeadWorkerIsResumedAndCompletesExactlyOnce() {
    var task = worker.newExecution("""
        workflow: resumable
        assets:
          - name: first
            kind: http
            url: %s/first
          - name: second
            kind: http
            url: %s/second
            depends_on: [first]
        """.formatted(callee.baseUrl(), callee.baseUrl()));
    var store = worker.storage().executions();
    // A worker claims with a short lease, runs "first", starts "second" and dies.
    Execution dead = store.claim("default", task.executionId(), Duration.ofSeconds(30)).orElseThrow();
    Instant t = Instant.now();
    worker.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(callee.baseUrl() + "/first")).build());
    store.recordAssetResult("default", new AssetResult(task.executionId(), "first", "http",
        AssetStatus.SUCCEEDED, dead.attempt(), t, t, "HTTP 200", null));
    store.recordAssetResult("default", new AssetResult(task.executionId(), "second", "http",
        AssetStatus.RUNNING, dead.attempt(), t, null, null, null));

    // The queue redelivers after the lease has lapsed.
    assertThat(worker.post(task.body()).statusCode()).as("lease still live").isEqualTo(503);
    worker.clock().advance(Duration.ofMinutes(1));
    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("state").asText()).isEqualTo("succeeded");
    Execution resumed = store.find("default", task.executionId()).orElseThrow();
    assertThat(resumed.attempt()).isEqualTo(dead.attempt() + 1);
    assertThat(result(task, "first").attempt()).isEqualTo(dead.attempt());
    assertThat(result(task, "second").attempt()).isEqualTo(resumed.attempt());
    // A later duplicate delivery changes nothing either.
    assertThat(worker.post(task.body()).statusCode()).isEqualTo(200);
    assertThat(callee.count("/first")).isEqualTo(1);
    assertThat(callee.count("/second")).isEqualTo(1);
    // The dead worker's fenced writes are refused.
    assertThat(store.finish("default", task.executionId(), dead.attempt(), ExecutionState.FAILED, "late"))
        .isFalse();
  }

  @Test
  void anOutageOfServosDatabaseGivesTheClaimBackAndTheNextDeliveryResumes() {
    var task = worker.newExecution("""
        workflow: outage
        assets:
          - name: first
            kind: http
            url: %s/first
          - name: second
            kind: http
            url: %s/second
            depends_on: [first]
        """.formatted(callee.baseUrl(), callee.baseUrl()));
    // While "second" runs the database goes away for one connection: recording its result fails.
    callee.onCall("/second", () -> worker.database().failNextConnections(1));

    HttpResponse<String> interrupted = worker.post(task.body());

    assertThat(interrupted.statusCode()).as(interrupted.body()).isEqualTo(503);
    assertThat(interrupted.headers().firstValue("Retry-After")).isPresent();
    assertThat(json(interrupted).get("error").asText()).contains("Servo's database failed");
    Execution released = worker.storage().executions().find("default", task.executionId()).orElseThrow();
    assertThat(released.state()).isEqualTo(ExecutionState.RUNNING);

    callee.onCall("/second", () -> {});
    HttpResponse<String> resumed = worker.post(task.body());

    assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
    assertThat(json(resumed).get("state").asText()).isEqualTo("succeeded");
    assertThat(worker.storage().executions().find("default", task.executionId()).orElseThrow().attempt())
        .isEqualTo(2);
    assertThat(callee.count("/first")).isEqualTo(1);
  }

  @Test
  void closingLetsARunningExecutionFinishAndThenRefusesConnections() throws Exception {
    var task = worker.newExecution("""
        workflow: draining
        assets:
          - name: slow
            kind: http
            url: %s/slow
        """.formatted(callee.baseUrl()));
    var entered = new java.util.concurrent.CountDownLatch(1);
    callee.onCall("/slow", () -> {
      entered.countDown();
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    var running = java.util.concurrent.CompletableFuture.supplyAsync(() -> worker.post(task.body()));
    assertThat(entered.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    worker.stopWorker();

    assertThat(running.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(worker.storage().executions().find("default", task.executionId()).orElseThrow().state())
        .isEqualTo(ExecutionState.SUCCEEDED);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> worker.post(task.body()))
        .hasCauseInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void anExecutionRunningUnderAnotherWorkersLiveLeaseIsRetriedLater() {
    var task = worker.newExecution("""
        workflow: busy
        assets:
          - name: ping
            kind: http
            url: %s/ping
        """.formatted(callee.baseUrl()));
    worker.storage().executions().claim("default", task.executionId(), Duration.ofMinutes(5)).orElseThrow();

    HttpResponse<String> response = worker.post(task.body());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).isPresent();
    assertThat(callee.count("/ping")).isZero();
  }

  private AssetResult result(WorkerHarness.Task task, String asset) {
    return worker.storage().executions().assetResults(task.tenant(), task.executionId()).stream()
        .filter(r -> r.assetName().equals(asset)).findFirst().orElseThrow();
  }

  private Map<String, AssetStatus> statuses(WorkerHarness.Task task) {
    Map<String, AssetStatus> out = new java.util.HashMap<>();
    for (AssetResult r : worker.storage().executions().assetResults(task.tenant(), task.executionId())) {
      out.put(r.assetName(), r.status());
    }
    return out;
  }
}
