package io.servo.worker.assets;

import io.servo.core.tenant.TenantPolicy;
import io.servo.core.workflow.Asset;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The worker's runner: dispatches each asset to the runner of its kind, and owns the warehouse pool. */
public final class AssetRunners implements AssetRunner, AutoCloseable {
  private static final io.servo.telemetry.redaction.Redactor SECRET_SHAPES =
      io.servo.telemetry.redaction.Redactor.defaults();

  private final CommandRunner command;
  private final SqlRunner sql;
  private final HttpRunner http;
  private final Warehouse warehouse;

  private AssetRunners(Map<String, String> environment, Path workdir, String warehouseUrl,
      HttpClient httpClient, RunnerInstrumentation instrumentation, byte[] warehouseSecret,
      CommandSandbox sandbox) {
    this.warehouse = new Warehouse(warehouseUrl, instrumentation::warehouse, warehouseSecret);
    this.command =
        new CommandRunner(environment, workdir, instrumentation::childEnvironment, sandbox);
    this.sql = new SqlRunner(warehouse, instrumentation);
    this.http = new HttpRunner(instrumentation.httpClient(httpClient), environment,
        instrumentation::httpHeaders, new EgressGuard());
  }

  /**
   * @param environment the worker's environment: where {@code ${env:NAME}} references resolve and
   *     where a child's allow-listed variables come from
   * @param workdir the working directory of {@code command} assets
   * @param warehouseUrl the JDBC URL of {@code sql} assets
   * @param httpClient the worker's one HTTP client, for {@code http} assets
   */
  public static AssetRunners create(
      Map<String, String> environment, Path workdir, String warehouseUrl, HttpClient httpClient) {
    return create(environment, workdir, warehouseUrl, httpClient, RunnerInstrumentation.NONE, null,
        CommandSandbox.start(true, List.of(), workdir));
  }

  /**
   * @param instrumentation decorates the warehouse pool, the HTTP client and commands' environments
   *     (tracing)
   * @param warehouseSecret the worker's HMAC secret: tenants' roles in a shared PostgreSQL warehouse
   *     get passwords derived from it; null leaves such a warehouse to tenants with their own URL
   * @param sandbox where {@code command} assets run ({@link CommandSandbox#start}); the
   *     other overload starts one as in development, which runs commands unsandboxed when none starts
   */
  public static AssetRunners create(Map<String, String> environment, Path workdir,
      String warehouseUrl, HttpClient httpClient, RunnerInstrumentation instrumentation,
      byte[] warehouseSecret, CommandSandbox sandbox) {
    return new AssetRunners(
        Map.copyOf(Objects.requireNonNull(environment, "environment")),
        Objects.requireNonNull(workdir, "workdir"),
        Objects.requireNonNull(warehouseUrl, "warehouseUrl"),
        Objects.requireNonNull(httpClient, "httpClient"),
        Objects.requireNonNull(instrumentation, "instrumentation"),
        warehouseSecret == null ? null : warehouseSecret.clone(),
        Objects.requireNonNull(sandbox, "sandbox"));
  }

  /**
   * Runs the asset with the runner of its kind. What it reports has the values the run resolved
   * removed already (by the runner); secret-shaped text (Bearer credentials, {@code api_key=…},
   * JWTs, …) that a server or a program printed is removed here, as a second line of defence: the
   * outcome is stored, returned by the API and put on the asset's span.
   */
  @Override
  public AssetOutcome run(AssetContext context, Asset asset) throws InterruptedException {
    if (!context.grants().mayUse(asset.kind())) {
      // The orchestrator refuses such a workflow at deploy time; this one was deployed before the
      // grant was taken back, or the worker's grants differ from the orchestrator's.
      return AssetOutcome.failed("kind '" + asset.kind().wireName() + "' is not granted to tenant '"
          + context.tenant() + "' on this worker; an operator grants it with "
          + TenantPolicy.variable(context.tenant(), TenantPolicy.ASSET_KINDS) + " on the worker");
    }
    AssetOutcome outcome = switch (asset.kind()) {
      case COMMAND -> command.run(context, asset);
      case SQL -> sql.run(context, asset);
      case HTTP -> http.run(context, asset);
    };
    return outcome.withText(SECRET_SHAPES::redact);
  }

  @Override
  public void close() {
    warehouse.close();
  }
}
