package io.servo.cli.security;

import static org.awaitility.Awaitility.await;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.servo.cli.client.ApiClient;
import io.servo.cli.server.Services;
import io.servo.cloud.gcp.fake.oidc.JwksServer;
import io.servo.cloud.gcp.fake.tasks.FakeCloudTasks;
import io.servo.orchestrator.OrchestratorConfig;
import io.servo.orchestrator.OrchestratorServer;
import io.servo.testing.postgres.PostgresTestDatabase;
import io.servo.storage.ServoStorage;
import io.servo.telemetry.ServoTelemetry;
import io.servo.telemetry.config.TracingConfig;
import io.servo.worker.WorkerConfig;
import io.servo.worker.WorkerServer;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Servo's real services assembled the way {@code servo orchestrator} and {@code servo worker} are
 * ({@link Services}), in production mode (API tokens, HMAC, optionally Cloud Tasks with OIDC),
 * tracing every request at rate 1.0 into in-memory exporters, on PostgreSQL or SQLite.
 */
final class SecurityStack implements AutoCloseable {
  static final Path HOME =
      Path.of(System.getenv().getOrDefault("SERVO_HOME", "..")).toAbsolutePath().normalize();
  static final String HMAC_SECRET = "security-hmac-secret-0123456789-abcdefghij";
  static final String ACME = "acme";
  static final String GLOBEX = "globex";
  static final String ACME_TOKEN = "tok-acme-5f1d2c9b7e";
  static final String GLOBEX_TOKEN = "tok-globex-8a3e6d0f4c";
  static final String SERVICE_ACCOUNT = "servo-tasks@security-test.iam.gserviceaccount.com";

  final Services services = new Services();
  final InMemorySpanExporter orchestratorSpans = InMemorySpanExporter.create();
  final InMemorySpanExporter workerSpans = InMemorySpanExporter.create();
  final Map<String, String> env;
  final List<ServoTelemetry> telemetries = new ArrayList<>();
  private final String databaseUrl;
  private final PostgresTestDatabase postgres;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private String role;
  ServoStorage storage;
  OrchestratorServer orchestrator;
  WorkerServer worker;
  FakeCloudTasks cloudTasks;

  private SecurityStack(String databaseUrl, PostgresTestDatabase postgres, Map<String, String> env) {
    this.databaseUrl = databaseUrl;
    this.postgres = postgres;
    this.env = env;
  }

  static Builder postgres() {
    PostgresTestDatabase database = PostgresTestDatabase.create();
    return new Builder(database.url(), database);
  }

  /**
   * PostgreSQL reached as a role of its own with a password ({@code CREATE ROLE … LOGIN PASSWORD}):
   * the test server's trust authentication accepts it, and the URL holds {@code password=}.
   */
  static Builder postgresAs(String user, String password) {
    PostgresTestDatabase database = PostgresTestDatabase.create();
    try (Connection c = database.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + user + " LOGIN SUPERUSER PASSWORD '" + password + "'");
    } catch (SQLException e) {
      database.close();
      throw new IllegalStateException("cannot create role " + user, e);
    }
    String url = database.url().replaceAll("user=[^&]*", "user=" + user + "&password=" + password);
    Builder builder = new Builder(url, database);
    builder.role = user;
    return builder;
  }

  static Builder sqlite(Path dir) {
    return new Builder("jdbc:sqlite:" + dir.resolve("servo.db"), null);
  }

  static final class Builder {
    private final String databaseUrl;
    private final PostgresTestDatabase postgres;
    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> workerOnly = new HashMap<>();
    private final Map<String, String> orchestratorOnly = new HashMap<>();
    private final List<SpanExporter> extraExporters = new ArrayList<>();
    private final List<SpanExporter> workerExporters = new ArrayList<>();
    private final List<SpanExporter> orchestratorExporters = new ArrayList<>();
    private String role;
    private boolean cloudTasks;
    private java.util.function.BiFunction<String, String, Optional<String>> waterfall = (id, tenant) -> Optional.empty();
    private UnaryOperator<ServoStorage> orchestratorStorage = UnaryOperator.identity();

    private Builder(String databaseUrl, PostgresTestDatabase postgres) {
      this.databaseUrl = databaseUrl;
      this.postgres = postgres;
      env.put("PATH", System.getenv("PATH"));
      env.put("SERVO_ENVIRONMENT", "production");
      env.put("SERVO_DATABASE_URL", databaseUrl);
      env.put("SERVO_HMAC_SECRET", HMAC_SECRET);
      env.put("SERVO_API_TOKENS", ACME + ":" + ACME_TOKEN + "," + GLOBEX + ":" + GLOBEX_TOKEN);
      env.put("SERVO_OIDC_ENABLED", "false");
      env.put("SERVO_WORKDIR", HOME.toString());
      env.put("SERVO_WORKER_THREADS", "8");
      env.put("SERVO_TRACE_ENABLED", "true");
      env.put("SERVO_TRACE_SAMPLE_RATE", "1.0");
      env.put("SERVO_TRACE_EXPORTER", "none");
      env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
      env.put("OTEL_BSP_MAX_QUEUE_SIZE", "100000");
    }

    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    Builder env(Map<String, String> values) {
      env.putAll(values);
      return this;
    }

    /** A variable for one service only ("worker" or "orchestrator"), its tracing included. */
    Builder serviceEnv(String service, String name, String value) {
      (service.equals("worker") ? workerOnly : orchestratorOnly).put(name, value);
      return this;
    }

    /** Another exporter for the worker's SDK only. */
    Builder workerExporter(SpanExporter exporter) {
      workerExporters.add(exporter);
      return this;
    }

    /** Another exporter for the orchestrator's SDK only. */
    Builder orchestratorExporter(SpanExporter exporter) {
      orchestratorExporters.add(exporter);
      return this;
    }

    /** Another exporter for both services (each service gets it: it must tolerate that). */
    Builder exporter(SpanExporter exporter) {
      extraExporters.add(exporter);
      return this;
    }

    /** The fake Cloud Tasks (real gRPC client, HTTP push with OIDC tokens) and a worker enforcing OIDC. */
    Builder cloudTasks() {
      this.cloudTasks = true;
      return this;
    }

    Builder waterfall(java.util.function.BiFunction<String, String, Optional<String>> value) {
      this.waterfall = value;
      return this;
    }

    /** What the orchestrator is given in place of its storage (a test seam around the real one). */
    Builder orchestratorStorage(UnaryOperator<ServoStorage> value) {
      this.orchestratorStorage = value;
      return this;
    }

    SecurityStack start() {
      SecurityStack stack = new SecurityStack(databaseUrl, postgres, env);
      stack.role = role;
      try {
        stack.start(extraExporters, workerExporters, orchestratorExporters, workerOnly, orchestratorOnly, cloudTasks,
            waterfall, orchestratorStorage);
      } catch (RuntimeException | Error e) {
        stack.close();
        throw e;
      }
      return stack;
    }
  }

  private void start(List<SpanExporter> extra, List<SpanExporter> workerExtra, List<SpanExporter> orchestratorExtra,
      Map<String, String> workerOnly, Map<String, String> orchestratorOnly, boolean withCloudTasks,
      java.util.function.BiFunction<String, String, Optional<String>> waterfall,
      UnaryOperator<ServoStorage> orchestratorStorage) {
    int workerPort = freePort();
    if (withCloudTasks) {
      cloudTasks = FakeCloudTasks.start();
      resources.add(cloudTasks);
      JwksServer jwks = cloudTasks.oidc().startJwksServer();
      resources.add(jwks);
      String workerUrl = "http://127.0.0.1:" + workerPort;
      env.put("SERVO_QUEUE", "cloudtasks");
      env.put("SERVO_CLOUD_TASKS_ENDPOINT", cloudTasks.endpoint());
      env.put("GCP_PROJECT_ID", "security-test");
      env.put("GCP_LOCATION", "europe-west1");
      env.put("GCP_QUEUE_NAME", "servo-executions");
      env.put("GCP_WORKER_URL", workerUrl);
      env.put("GCP_SERVICE_ACCOUNT_EMAIL", SERVICE_ACCOUNT);
      env.put("SERVO_OIDC_ENABLED", "true");
      env.put("SERVO_OIDC_AUDIENCE", workerUrl);
      env.put("SERVO_OIDC_ALLOWED_EMAILS", SERVICE_ACCOUNT);
      env.put("SERVO_OIDC_JWKS_URL", jwks.certsUrl().toString());
    }
    Map<String, String> workerEnv = new HashMap<>(env);
    workerEnv.putAll(workerOnly);
    Map<String, String> orchestratorEnv = new HashMap<>(env);
    orchestratorEnv.putAll(orchestratorOnly);
    List<SpanExporter> workerExporters = new ArrayList<>(extra);
    workerExporters.addAll(workerExtra);
    workerExporters.add(workerSpans);
    List<SpanExporter> orchestratorExporters = new ArrayList<>(extra);
    orchestratorExporters.addAll(orchestratorExtra);
    orchestratorExporters.add(orchestratorSpans);
    ServoTelemetry workerTelemetry = services.telemetry(TracingConfig.from(workerEnv), "servo-worker",
        workerExporters.toArray(SpanExporter[]::new));
    ServoTelemetry orchestratorTelemetry = services.telemetry(TracingConfig.from(orchestratorEnv),
        "servo-orchestrator", orchestratorExporters.toArray(SpanExporter[]::new));
    telemetries.add(workerTelemetry);
    telemetries.add(orchestratorTelemetry);

    workerEnv.put("PORT", Integer.toString(workerPort));
    worker = services.worker(WorkerConfig.fromEnvironment(workerEnv),
        services.storage(databaseUrl, workerTelemetry), workerEnv, workerTelemetry);
    orchestratorEnv.put("PORT", "0");
    orchestratorEnv.putIfAbsent("SERVO_WORKER_URL", "http://127.0.0.1:" + worker.port());
    storage = services.storage(databaseUrl, orchestratorTelemetry);
    orchestrator = services.orchestrator(OrchestratorConfig.fromEnvironment(orchestratorEnv),
        orchestratorStorage.apply(storage), orchestratorEnv, null, orchestratorTelemetry, waterfall);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  int apiPort() {
    return orchestrator.port();
  }

  int workerPort() {
    return worker.port();
  }

  ApiClient api(String token) {
    return new ApiClient(URI.create("http://127.0.0.1:" + apiPort() + "/"), token);
  }

  String databaseUrl() {
    return databaseUrl;
  }

  boolean onPostgres() {
    return postgres != null;
  }

  /** A connection that sees every row (the test server's superuser, or the SQLite file). */
  Connection admin() throws SQLException {
    return postgres != null ? postgres.connect() : DriverManager.getConnection(databaseUrl);
  }

  /** Exports everything ended so far. */
  void flush() {
    telemetries.forEach(t -> t.forceFlush(Duration.ofSeconds(5)));
  }

  /** Every span both services exported so far. */
  List<SpanData> spans() {
    flush();
    List<SpanData> all = new ArrayList<>(orchestratorSpans.getFinishedSpanItems());
    all.addAll(workerSpans.getFinishedSpanItems());
    return all;
  }

  /** Deploys a workflow, runs it once and waits until it ended; returns the execution's API view. */
  com.fasterxml.jackson.databind.JsonNode runToEnd(String token, String name, String yaml) {
    ApiClient api = api(token);
    ApiClient.Answer deployed = api.put("v1/workflows/" + name, yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "application/yaml");
    if (!deployed.ok()) {
      throw new AssertionError("deploy failed: " + deployed.errorText());
    }
    ApiClient.Answer started = api.post("v1/workflows/" + name + "/executions", null);
    if (started.status() != 201) {
      throw new AssertionError("start failed: " + started.errorText());
    }
    String id = started.body().path("execution_id").asText();
    return await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100))
        .until(() -> api.get("v1/executions/" + id).body(),
            e -> e != null && List.of("succeeded", "failed", "timeout").contains(e.path("state").asText()));
  }

  /** Waits until no execution is pending or running and the outbox is empty. */
  void awaitQuiet() {
    String schema = postgres != null ? "servo." : "";
    await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100)).until(() -> {
      try (Connection c = admin(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT (SELECT COUNT(*) FROM " + schema + "executions WHERE state IN ('pending', 'running'))"
              + " + (SELECT COUNT(*) FROM " + schema + "task_outbox)")) {
        rs.next();
        return rs.getLong(1) == 0;
      }
    });
  }

  /**
   * Every row of every table of Servo's schema as text, one line per row, rows sorted, so two dumps
   * are equal exactly when nothing changed.
   */
  String dump() {
    StringBuilder out = new StringBuilder();
    try (Connection c = admin(); Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      String list = postgres != null
          ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'servo' AND table_type = 'BASE TABLE' ORDER BY 1"
          : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1";
      try (ResultSet rs = s.executeQuery(list)) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        out.append("== ").append(table).append('\n');
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT * FROM " + (postgres != null ? "servo." : "") + "\"" + table + "\"")) {
          ResultSetMetaData meta = rs.getMetaData();
          while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
              Object value = rs.getObject(i);
              row.append(meta.getColumnName(i)).append('=')
                  .append(value instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8) : value)
                  .append(" | ");
            }
            rows.add(row.toString());
          }
        }
        rows.sort(null);
        rows.forEach(r -> out.append(r).append('\n'));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot dump the database", e);
    }
    return out.toString();
  }

  @Override
  public void close() {
    services.close();
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        // keep closing the rest
      }
    }
    if (postgres != null) {
      postgres.close();
      if (role != null) {
        String server = PostgresTestDatabase.withDatabase("postgres");
        try (Connection c = DriverManager.getConnection(server); Statement s = c.createStatement()) {
          s.execute("DROP ROLE IF EXISTS " + role);
        } catch (SQLException e) {
          System.err.println("could not drop role " + role + ": " + e.getMessage());
        }
      }
    }
  }
}
