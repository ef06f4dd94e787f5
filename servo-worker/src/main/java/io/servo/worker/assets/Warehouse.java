package io.servo.worker.assets;

import io.servo.core.tenant.TenantPolicy;
import io.servo.core.workflow.WorkflowLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The warehouse of {@code sql} assets, confined per tenant. Each tenant's statements run in a pool
 * of its own:
 *
 * <ul>
 *   <li>its own warehouse ({@code SERVO_TENANT_<TENANT>_WAREHOUSE_URL}), when the operator gave it
 *       one, used as is;
 *   <li>otherwise, in a shared PostgreSQL warehouse ({@code SERVO_WAREHOUSE_URL}, by default Servo's
 *       own database): connections that log in as the tenant's own role ({@link
 *       PostgresTenantRoles}), which the worker provisions through its own connection first;
 *   <li>in a shared SQLite warehouse: a database file of its own next to the shared one ({@code
 *       warehouse-<tenant>.db}), with {@code ATTACH} and extensions off;
 *   <li>any other shared warehouse cannot be confined, and is refused.
 * </ul>
 *
 * <p>Pools are small, opened on first use, closed when unused for a while, and there are at most
 * {@link #MAX_TENANT_POOLS} of them (a pool with a connection lent out is never closed).
 */
final class Warehouse implements AutoCloseable {
  /** The shared warehouse pool's former size: a tenant alone keeps the concurrency it had. */
  static final int TENANT_POOL_SIZE = 4;
  static final int MAX_TENANT_POOLS = 32;
  private static final long IDLE_POOL_NANOS = TimeUnit.MINUTES.toNanos(10);
  private static final Pattern CREDENTIAL_PARAMETER = Pattern.compile("(?i)(user|password)");

  private final String sharedUrl;
  private final UnaryOperator<DataSource> decoration;
  private final PostgresTenantRoles roles;
  /** Access order: the first is the least recently used. */
  private final LinkedHashMap<String, WarehousePool> pools = new LinkedHashMap<>(16, 0.75f, true);
  private ScheduledThreadPoolExecutor housekeeping;
  private boolean closed;

  /** @param secret the worker's HMAC secret, from which tenant roles' passwords derive; null: none */
  Warehouse(String sharedUrl, byte[] secret) {
    this(sharedUrl, UnaryOperator.identity(), secret);
  }

  /** @param decoration wraps each pool once it opens (tracing's JDBC spans) */
  Warehouse(String sharedUrl, UnaryOperator<DataSource> decoration, byte[] secret) {
    this.sharedUrl = sharedUrl.trim();
    this.decoration = decoration;
    this.roles = secret == null || secret.length == 0 ? null : new PostgresTenantRoles(secret);
  }

  /** A connection of {@code context}'s tenant, confined to its own part of the warehouse. */
  Connection connection(AssetContext context) throws SQLException {
    for (int attempt = 0; ; attempt++) {
      WarehousePool pool = pool(context);
      try {
        return pool.connection();
      } catch (SQLException e) {
        // Closed by the sweep between its lookup and here: open it again, once.
        if (attempt > 0 || !pool.isClosed() || isClosed()) {
          throw e;
        }
      }
    }
  }

  /** What names this tenant's warehouse in a message: its own variable or SERVO_WAREHOUSE_URL. */
  static String source(AssetContext context) {
    return context.grants().ownWarehouseUrl().isPresent()
        ? TenantPolicy.variable(context.tenant(), TenantPolicy.WAREHOUSE_URL) : "SERVO_WAREHOUSE_URL";
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private synchronized WarehousePool pool(AssetContext context) throws SQLException {
    if (closed) {
      throw new SQLException("the worker is shutting down");
    }
    String tenant = context.tenant();
    if (!WorkflowLoader.NAME.matcher(tenant).matches()) {
      throw new RefusedException("tenant name '" + tenant + "' cannot be given a warehouse of its own");
    }
    Optional<String> own = context.grants().ownWarehouseUrl();
    String key = own.map(url -> "own\0" + url).orElse("shared\0" + tenant);
    WarehousePool pool = pools.get(key);
    if (pool == null) {
      pool = own.isPresent() ? open("servo-warehouse-" + tenant, own.get().trim(), null, null) : openShared(tenant);
      pools.put(key, pool);
    }
    sweep(pool);
    return pool;
  }

  private WarehousePool openShared(String tenant) throws SQLException {
    if (sharedUrl.startsWith("jdbc:postgresql:")) {
      return openPostgres(tenant);
    }
    if (sharedUrl.startsWith("jdbc:sqlite:")) {
      return open("servo-warehouse-" + tenant, sqliteUrl(sharedUrl, tenant), null, null);
    }
    throw new RefusedException("the shared warehouse (SERVO_WAREHOUSE_URL) is neither PostgreSQL nor SQLite, "
        + "so Servo cannot confine one tenant's statements to that tenant's data there; give each tenant its own "
        + "warehouse with " + TenantPolicy.variable(tenant, TenantPolicy.WAREHOUSE_URL));
  }

  private WarehousePool openPostgres(String tenant) throws SQLException {
    if (roles == null) {
      throw new RefusedException("the worker has no secret to derive tenant '" + tenant + "''s warehouse role "
          + "password from; give the tenant its own warehouse with "
          + TenantPolicy.variable(tenant, TenantPolicy.WAREHOUSE_URL));
    }
    Properties properties = new Properties();
    properties.setProperty("connectTimeout", "5");
    String database;
    String role;
    try (Connection admin = DriverManager.getConnection(sharedUrl, properties)) {
      try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database()")) {
        rs.next();
        database = rs.getString(1);
      }
      try {
        role = roles.provision(admin, database, tenant);
      } catch (SQLException e) {
        throw new RefusedException(e.getMessage(), e);
      }
    }
    return open("servo-warehouse-" + tenant, withoutCredentials(sharedUrl), role, roles.password(database, tenant));
  }

  private WarehousePool open(String name, String url, String user, String password) {
    return new WarehousePool(name, url, user, password, TENANT_POOL_SIZE, decoration, housekeeping());
  }

  private ScheduledThreadPoolExecutor housekeeping() {
    if (housekeeping == null) {
      housekeeping = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "servo-warehouse-housekeeping");
        thread.setDaemon(true);
        return thread;
      });
      housekeeping.setRemoveOnCancelPolicy(true);
      housekeeping.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }
    return housekeeping;
  }

  /** Closes pools unused for a while, then the least recently used ones beyond the bound; never {@code keep}. */
  private void sweep(WarehousePool keep) {
    long now = System.nanoTime();
    List<WarehousePool> closing = new ArrayList<>();
    int excess = pools.size() - MAX_TENANT_POOLS;
    for (Iterator<Map.Entry<String, WarehousePool>> i = pools.entrySet().iterator(); i.hasNext(); ) {
      WarehousePool pool = i.next().getValue();
      if (pool == keep || !pool.idle()) {
        continue;
      }
      if (excess > 0 || now - pool.lastUsedNanos() > IDLE_POOL_NANOS) {
        i.remove();
        closing.add(pool);
        excess--;
      }
    }
    closing.forEach(WarehousePool::close);
  }

  /** The shared PostgreSQL URL without the worker's user and password (the tenant's role logs in instead). */
  static String withoutCredentials(String url) {
    int q = url.indexOf('?');
    if (q < 0) {
      return url;
    }
    StringBuilder kept = new StringBuilder();
    for (String parameter : url.substring(q + 1).split("&")) {
      String name = parameter.contains("=") ? parameter.substring(0, parameter.indexOf('=')) : parameter;
      if (parameter.isEmpty() || CREDENTIAL_PARAMETER.matcher(name).matches()) {
        continue;
      }
      kept.append(kept.length() == 0 ? "" : "&").append(parameter);
    }
    return url.substring(0, q) + (kept.length() == 0 ? "" : "?" + kept);
  }

  /**
   * The tenant's own SQLite file next to the shared one: {@code warehouse-<tenant>.db}, with a hash
   * when the name has upper case (so {@code Acme} and {@code acme} differ on any file system). An
   * in-memory shared warehouse stays in memory: each connection has its own database.
   */
  static String sqliteUrl(String url, String tenant) throws SQLException {
    String rest = url.substring("jdbc:sqlite:".length());
    int q = rest.indexOf('?');
    String query = q < 0 ? "" : rest.substring(q);
    String location = q < 0 ? rest : rest.substring(0, q);
    if (location.isEmpty() || location.equals(":memory:") || query.contains("mode=memory")) {
      return url;
    }
    if (location.startsWith("file:")) {
      location = location.substring("file:".length());
    }
    Path shared = Path.of(location).toAbsolutePath().normalize();
    String lower = tenant.toLowerCase(Locale.ROOT);
    String file = "warehouse-" + (lower.equals(tenant) ? tenant : lower + "-" + hash(tenant)) + ".db";
    Path own = shared.resolveSibling(file);
    if (own.equals(shared)) {
      throw new RefusedException("the shared warehouse file is named like tenant '" + tenant + "''s own ("
          + file + "); rename SERVO_WAREHOUSE_URL's file");
    }
    return "jdbc:sqlite:" + own + query;
  }

  private static String hash(String s) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    List<WarehousePool> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(pools.values());
      pools.clear();
    }
    all.forEach(WarehousePool::close);
    synchronized (this) {
      if (housekeeping != null) {
        housekeeping.shutdownNow();
      }
    }
  }

  /** The tenant may not use the warehouse as configured: the message says what the operator can do. */
  static final class RefusedException extends SQLException {
    RefusedException(String message) {
      super(message);
    }

    RefusedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
