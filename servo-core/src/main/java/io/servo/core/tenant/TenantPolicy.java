package io.servo.core.tenant;

import io.servo.core.workflow.Asset;
import io.servo.core.workflow.AssetKind;
import io.servo.core.workflow.CommandAsset;
import io.servo.core.workflow.EnvReferences;
import io.servo.core.workflow.HttpAsset;
import io.servo.core.workflow.Workflow;
import io.servo.core.task.TaskSignature;
import io.servo.settings.Settings;
import io.servo.settings.SettingsException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What each tenant may do, from the operator's {@code SERVO_TENANT_<TENANT>_*} variables. Both
 * services read the same variables: the orchestrator refuses a workflow that needs more than its
 * tenant was granted when it is deployed ({@link #problems(Workflow)}), the worker enforces the
 * grants again when an asset runs.
 *
 * <p>{@code <TENANT>} is the tenant's name in upper case with {@code -} as {@code _} ({@link
 * #variable(String, String)}). The variables:
 *
 * <ul>
 *   <li>{@code _ENV}: comma-separated names its {@code ${env:NAME}} references may resolve ({@code
 *       NAME_*} grants a prefix); default none
 *   <li>{@code _ASSET_KINDS}: the kinds its workflows may use; default {@code sql,http} in
 *       production and staging, {@code sql,command,http} in development
 *   <li>{@code _HTTP_HOSTS}: {@code host} or {@code host:port} its {@code http} assets may reach
 *       although loopback, link-local or this machine's; default none
 *   <li>{@code _WAREHOUSE_URL}: its own JDBC warehouse; default the shared one, confined
 *   <li>{@code _COMMAND_NETWORK}: {@code true} gives its commands the network; default false
 *   <li>{@code _WORKER_URL}, {@code _HMAC_SECRET} (orchestrator): its own worker service and that
 *       worker's signing key
 * </ul>
 */
public final class TenantPolicy {
  public static final String PREFIX = "SERVO_TENANT_";
  public static final String ENV = "ENV";
  public static final String ASSET_KINDS = "ASSET_KINDS";
  public static final String HTTP_HOSTS = "HTTP_HOSTS";
  public static final String WAREHOUSE_URL = "WAREHOUSE_URL";
  public static final String COMMAND_NETWORK = "COMMAND_NETWORK";
  public static final String WORKER_URL = "WORKER_URL";
  public static final String HMAC_SECRET = "HMAC_SECRET";
  /** Longest first, so {@code _WAREHOUSE_URL} is not read as a tenant ending in {@code _WAREHOUSE}. */
  private static final List<String> SUFFIXES =
      List.of(COMMAND_NETWORK, WAREHOUSE_URL, ASSET_KINDS, HMAC_SECRET, HTTP_HOSTS, WORKER_URL, ENV);
  private static final Pattern VARIABLE_NAME = Pattern.compile("\\*|[A-Za-z_][A-Za-z0-9_]*\\*?");
  /** {@code host}, {@code host:port}, {@code [v6]}, {@code [v6]:port}, or a bare IPv6 address (no port). */
  private static final Pattern HOST = Pattern.compile(
      "(\\[[0-9a-f:.]+]|[a-z0-9]([a-z0-9.-]{0,252}[a-z0-9])?)(:[0-9]{1,5})?|[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*");
  /** The cloud metadata server's names: never reachable by an {@code http} asset unless granted. */
  public static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata");
  private static final Set<String> METADATA_ADDRESSES = Set.of("169.254.169.254", "fd00:ec2::254");

  private final boolean development;
  /** Grant key (the tenant's variable part) → suffix → raw value. */
  private final Map<String, Map<String, String>> byKey;
  /** Each tenant's grants, parsed once: the worker asks for them on every asset it runs. */
  private final Map<String, TenantGrants> parsed = new java.util.concurrent.ConcurrentHashMap<>();

  private TenantPolicy(boolean development, Map<String, Map<String, String>> byKey) {
    this.development = development;
    this.byKey = byKey;
  }

  /**
   * Reads every {@code SERVO_TENANT_*} variable of {@code env}.
   *
   * @param development whether {@code SERVO_ENVIRONMENT} is development (its default asset kinds
   *     include {@code command})
   * @throws SettingsException listing every variable that cannot be used, with what to write
   */
  public static TenantPolicy fromEnvironment(Map<String, String> env, boolean development) {
    Settings settings = Settings.of(env, "the tenant grants");
    TenantPolicy policy = from(settings, development);
    settings.check();
    return policy;
  }

  /**
   * Reads every {@code SERVO_TENANT_*} variable of {@code settings}; what cannot be used is recorded
   * there, with the service's other problems.
   */
  public static TenantPolicy from(Settings settings, boolean development) {
    Map<String, Map<String, String>> byKey = new TreeMap<>();
    for (String name : settings.names(PREFIX)) {
      String rest = name.substring(PREFIX.length());
      String suffix = SUFFIXES.stream().filter(s -> rest.endsWith("_" + s)).findFirst().orElse(null);
      if (suffix == null || rest.length() == suffix.length() + 1) {
        settings.problem(name, name + " is not a tenant grant: use SERVO_TENANT_<TENANT>_"
            + String.join(", _", SUFFIXES) + " where <TENANT> is the tenant's name in upper case with '-' as '_'");
        continue;
      }
      String key = rest.substring(0, rest.length() - suffix.length() - 1);
      byKey.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(suffix, settings.string(name, ""));
    }
    TenantPolicy policy = new TenantPolicy(development, byKey);
    for (String key : byKey.keySet()) {
      policy.parse(key, settings);
    }
    return policy;
  }

  /** A policy with no grant at all: every tenant gets the defaults. */
  public static TenantPolicy defaults(boolean development) {
    return new TenantPolicy(development, Map.of());
  }

  /** The variable that holds grant {@code suffix} of {@code tenant}, e.g. {@code SERVO_TENANT_ACME_ENV}. */
  public static String variable(String tenant, String suffix) {
    return PREFIX + grantKey(tenant) + "_" + suffix;
  }

  /** The part of the grant variables that names {@code tenant}: {@code acme-eu} → {@code ACME_EU}. */
  public static String grantKey(String tenant) {
    return tenant.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /**
   * Tenants whose names share one set of grant variables ({@code acme} and {@code ACME}, {@code a-b}
   * and {@code a_b}): an operator who defines both must tell them apart. Each problem names both.
   */
  public static List<String> conflicts(Set<String> tenants) {
    Map<String, String> seen = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (String tenant : new java.util.TreeSet<>(tenants)) {
      String other = seen.putIfAbsent(grantKey(tenant), tenant);
      if (other != null) {
        problems.add("tenants '" + other + "' and '" + tenant + "' would share the grant variables "
            + PREFIX + grantKey(tenant) + "_*: rename one of them");
      }
    }
    return problems;
  }

  /** The grants of {@code tenant}: the defaults plus what its variables add. */
  public TenantGrants grants(String tenant) {
    // Checked at start-up: here a problem only leaves the grant out.
    return parsed.computeIfAbsent(tenant, t -> toGrants(t, Settings.of(variables(grantKey(t)), "the tenant grants")));
  }

  /** The worker service that runs {@code tenant}'s tasks when it has its own; empty for the shared one. */
  public Optional<WorkerRoute> route(String tenant) {
    Map<String, String> raw = byKey.getOrDefault(grantKey(tenant), Map.of());
    String url = blankToNull(raw.get(WORKER_URL));
    if (url == null) {
      return Optional.empty();
    }
    return Optional.of(new WorkerRoute(tenant, URI.create(url.trim()), raw.get(HMAC_SECRET)));
  }

  /** The grant keys this policy has variables for, e.g. {@code ACME}. */
  public Set<String> grantKeys() {
    return byKey.keySet();
  }

  /**
   * What in {@code workflow} its tenant was not granted, one fixable problem each, naming the asset,
   * the variable or kind, and the operator's variable that grants it. Empty when it may be deployed.
   */
  public List<String> problems(Workflow workflow) {
    TenantGrants grants = grants(workflow.tenant());
    List<String> problems = new ArrayList<>();
    for (Asset asset : workflow.assets()) {
      String where = "asset '" + asset.name() + "'";
      if (!grants.mayUse(asset.kind())) {
        problems.add(where + ": kind '" + asset.kind().wireName() + "' is not granted to tenant '"
            + workflow.tenant() + "' (it may use " + kinds(grants.assetKinds()) + "); an operator grants it with "
            + variable(workflow.tenant(), ASSET_KINDS) + "=" + kinds(withKind(grants.assetKinds(), asset.kind()))
            + " on the orchestrator and the worker");
      }
      for (String name : references(asset)) {
        if (ReservedVariables.isReserved(name)) {
          problems.add(where + ": ${env:" + name + "} names a variable of Servo's or the platform's, "
              + "which no workflow may read; use a variable of your own, which an operator grants with "
              + variable(workflow.tenant(), ENV));
        } else if (!grants.mayResolve(name)) {
          problems.add(where + ": ${env:" + name + "} is not granted to tenant '" + workflow.tenant()
              + "'; an operator grants it by adding " + name + " to " + variable(workflow.tenant(), ENV)
              + " on the orchestrator and the worker");
        }
      }
      if (asset instanceof HttpAsset http) {
        literalHostProblem(http, grants).ifPresent(p -> problems.add(where + ": " + p));
      }
    }
    return problems;
  }

  /** Every {@code ${env:NAME}} an asset refers to, in the order written. */
  public static Set<String> references(Asset asset) {
    Set<String> names = new LinkedHashSet<>();
    if (asset instanceof HttpAsset http) {
      names.addAll(EnvReferences.names(http.url()));
      http.headers().values().forEach(v -> names.addAll(EnvReferences.names(v)));
      names.addAll(EnvReferences.names(http.body()));
    } else if (asset instanceof CommandAsset command) {
      command.env().values().forEach(v -> names.addAll(EnvReferences.names(v)));
    }
    return names;
  }

  /** A URL written with a literal host the worker will refuse anyway: said at deploy time. */
  private static Optional<String> literalHostProblem(HttpAsset http, TenantGrants grants) {
    if (http.url().contains("${")) {
      return Optional.empty(); // the host is known only on the worker
    }
    URI uri;
    try {
      uri = new URI(http.url());
    } catch (URISyntaxException e) {
      return Optional.empty(); // the worker says what is wrong with it
    }
    String host = uri.getHost();
    if (host == null) {
      return Optional.empty();
    }
    String h = host.toLowerCase(Locale.ROOT).replaceAll("^\\[|]$", "").replaceAll("\\.$", "");
    int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    boolean metadata = METADATA_NAMES.contains(h) || METADATA_ADDRESSES.contains(h);
    boolean internal = metadata || h.equals("localhost") || h.endsWith(".localhost")
        || h.startsWith("127.") || h.equals("::1") || h.startsWith("169.254.") || h.equals("0.0.0.0")
        || h.equals("::") || h.startsWith("fe80:");
    if (!internal || grants.mayReach(h, port)) {
      return Optional.empty();
    }
    return Optional.of("url host '" + host + "' is a loopback, link-local or metadata address, which http "
        + "assets may not reach; an operator allows it with " + variable(grants.tenant(), HTTP_HOSTS) + "="
        + (h.contains(":") ? "[" + h + "]" : h) + ":" + port + " on the orchestrator and the worker"
        + (metadata ? " (never do this for the metadata server: it hands out the worker's "
            + "cloud identity)" : ""));
  }

  /** The variables of grant key {@code key}, by their full names. */
  private Map<String, String> variables(String key) {
    Map<String, String> variables = new LinkedHashMap<>();
    byKey.getOrDefault(key, Map.of()).forEach((suffix, value) -> variables.put(PREFIX + key + "_" + suffix, value));
    return variables;
  }

  private void parse(String key, Settings settings) {
    toGrants(key, settings);
    String name = PREFIX + key + "_";
    boolean ownWorker = settings.isSet(name + WORKER_URL);
    boolean ownKey = settings.isSet(name + HMAC_SECRET);
    settings.value(name + WORKER_URL, null, v -> {
      URI uri = URI.create(v);
      return uri.getHost() != null && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) ? uri : null;
    }, "the tenant's worker service URL, e.g. https://servo-worker-acme-abc123-ew.a.run.app");
    if (ownWorker && !ownKey) {
      settings.problem(name + HMAC_SECRET, name + WORKER_URL + " is set but " + name + HMAC_SECRET + " is not: a "
          + "tenant's own worker has its own signing key, so no other worker can sign its tasks; set it to that "
          + "worker's SERVO_HMAC_SECRET (openssl rand -base64 48)");
    } else if (ownKey && !ownWorker) {
      settings.problem(name + WORKER_URL, name + HMAC_SECRET + " is set without " + name + WORKER_URL
          + ": it signs the tasks of the tenant's own worker; set both or neither");
    }
    settings.secret(name + HMAC_SECRET, TaskSignature.MIN_SECRET_BYTES, TaskSignature.SECRET_HINT);
  }

  /** The grants of {@code tenant} in {@code settings}; what cannot be used is recorded there and left out. */
  private TenantGrants toGrants(String tenant, Settings settings) {
    String name = PREFIX + grantKey(tenant) + "_";
    Set<String> env = new LinkedHashSet<>(settings.list(name + ENV, entry -> VARIABLE_NAME.matcher(entry).matches()
        ? entry : null, "variable names such as REPORT_API_KEY, or prefixes such as ACME_*"));
    for (String entry : List.copyOf(env)) {
      if (!entry.equals("*") && ReservedVariables.isReserved(entry.replace("*", ""))) {
        settings.problem(name + ENV, name + ENV + ": " + entry + " is one of " + ReservedVariables.describe()
            + ", which no workflow may read: give the tenant its value under a name of its own");
        env.remove(entry);
      }
    }
    Set<AssetKind> kinds = development
        ? EnumSet.allOf(AssetKind.class) : EnumSet.of(AssetKind.SQL, AssetKind.HTTP);
    if (settings.isSet(name + ASSET_KINDS)) {
      kinds = EnumSet.noneOf(AssetKind.class);
      kinds.addAll(settings.list(name + ASSET_KINDS,
          entry -> AssetKind.fromWireName(entry.toLowerCase(Locale.ROOT)).orElse(null),
          "a comma-separated list of sql, command and http"));
    }
    List<String> hosts = settings.list(name + HTTP_HOSTS,
        entry -> HOST.matcher(entry.toLowerCase(Locale.ROOT)).matches() ? entry.toLowerCase(Locale.ROOT) : null,
        "host or host:port entries such as localhost:9000 or [::1]:9000");
    String warehouse = settings.value(name + WAREHOUSE_URL, null, v -> v.startsWith("jdbc:") ? v : null,
        "a JDBC URL (jdbc:postgresql:… or jdbc:sqlite:…)");
    boolean network = settings.bool(name + COMMAND_NETWORK, false);
    return new TenantGrants(tenant, env, kinds, hosts, warehouse, network);
  }

  private static Set<AssetKind> withKind(Set<AssetKind> kinds, AssetKind kind) {
    Set<AssetKind> more = kinds.isEmpty() ? EnumSet.noneOf(AssetKind.class) : EnumSet.copyOf(kinds);
    more.add(kind);
    return more;
  }

  private static String kinds(Set<AssetKind> kinds) {
    return kinds.isEmpty() ? "none" : String.join(",",
        EnumSet.copyOf(kinds).stream().map(AssetKind::wireName).toList());
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
