package io.servo.worker.assets;

import io.servo.core.tenant.TenantGrants;
import io.servo.core.workflow.AssetKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Asset contexts for runner tests: what an operator granted a test's tenant. */
public final class TestContexts {
  private TestContexts() {}

  /**
   * Tenant {@code default} granted every variable that is not reserved, every kind, and the
   * loopback hosts the tests' servers listen on.
   */
  public static AssetContext permissive() {
    return new AssetContext("default", "exec-test", permissiveGrants("default"));
  }

  /** Like {@link #permissive()}, with {@code warehouseUrl} as the tenant's own warehouse. */
  public static AssetContext withOwnWarehouse(String warehouseUrl) {
    return new AssetContext("default", "exec-test", new TenantGrants("default", Set.of("*"),
        EnumSet.allOf(AssetKind.class), List.of("127.0.0.1", "localhost", "::1"), warehouseUrl, true));
  }

  /** Tenant {@code tenant} with the default grants of development and the shared warehouse. */
  public static AssetContext of(String tenant) {
    return new AssetContext(tenant, "exec-" + tenant, permissiveGrants(tenant));
  }

  public static TenantGrants permissiveGrants(String tenant) {
    return new TenantGrants(tenant, Set.of("*"), EnumSet.allOf(AssetKind.class),
        List.of("127.0.0.1", "localhost", "::1"), null, true);
  }
}
