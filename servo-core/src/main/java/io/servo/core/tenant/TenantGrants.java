package io.servo.core.tenant;

import io.servo.core.workflow.AssetKind;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the operator granted one tenant beyond the defaults, read from its {@code
 * SERVO_TENANT_<TENANT>_*} variables by {@link TenantPolicy}.
 *
 * @param tenant the tenant's name as workflows and API tokens spell it
 * @param envNames the variables its {@code ${env:NAME}} references may resolve; an entry ending in
 *     {@code *} grants every name with that prefix. {@link ReservedVariables Servo's own} never
 *     resolve, whatever is granted
 * @param assetKinds the asset kinds its workflows may use
 * @param httpHosts hosts its {@code http} assets may reach although they are loopback, link-local or
 *     this machine's: {@code host} (any port) or {@code host:port}, lower case
 * @param warehouseUrl its own JDBC warehouse ({@code SERVO_TENANT_<TENANT>_WAREHOUSE_URL}), a secret;
 *     null when its {@code sql} assets run in the shared warehouse, confined to it
 * @param commandNetwork whether its {@code command} assets get the network ({@code
 *     SERVO_TENANT_<TENANT>_COMMAND_NETWORK}); without it they run with no network at all
 */
public record TenantGrants(
    String tenant,
    Set<String> envNames,
    Set<AssetKind> assetKinds,
    List<String> httpHosts,
    String warehouseUrl,
    boolean commandNetwork) {

  public TenantGrants {
    Objects.requireNonNull(tenant, "tenant");
    envNames = Set.copyOf(envNames);
    assetKinds = Set.copyOf(assetKinds);
    httpHosts = List.copyOf(httpHosts);
  }

  /** Whether {@code ${env:name}} may resolve for this tenant. */
  public boolean mayResolve(String name) {
    if (ReservedVariables.isReserved(name)) {
      return false;
    }
    if (envNames.contains(name)) {
      return true;
    }
    for (String granted : envNames) {
      if (granted.endsWith("*") && name.startsWith(granted.substring(0, granted.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  public boolean mayUse(AssetKind kind) {
    return assetKinds.contains(kind);
  }

  /**
   * Whether the operator allowed {@code http} assets to reach {@code host} on {@code port} although
   * the address is one they may not reach by default (loopback, link-local, this machine's own).
   *
   * @param host as in the URL; an IPv6 literal with or without brackets
   */
  public boolean mayReach(String host, int port) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    for (String allowed : httpHosts) {
      if (allowed.equals(h) || allowed.equals(h + ":" + port) || allowed.equals("[" + h + "]:" + port)
          || allowed.equals("[" + h + "]")) {
        return true;
      }
    }
    return false;
  }

  public Optional<String> ownWarehouseUrl() {
    return Optional.ofNullable(warehouseUrl);
  }

  /** Masks the warehouse URL: it is a secret. */
  @Override
  public String toString() {
    return "TenantGrants[tenant=" + tenant + ", env=" + envNames + ", assetKinds=" + assetKinds
        + ", httpHosts=" + httpHosts + ", warehouseUrl=" + (warehouseUrl == null ? "(shared)" : "(own)")
        + ", commandNetwork=" + commandNetwork + "]";
  }
}
