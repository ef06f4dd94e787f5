package io.servo.worker.assets;

import io.servo.core.tenant.TenantGrants;
import java.util.Objects;

/**
 * Whose asset runs: the tenant of the signed task, the execution, and what the operator granted
 * that tenant. Every runner confines the asset to these grants.
 */
public record AssetContext(String tenant, String executionId, TenantGrants grants) {
  public AssetContext {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(executionId, "executionId");
    Objects.requireNonNull(grants, "grants");
    if (!grants.tenant().equals(tenant)) {
      throw new IllegalArgumentException("grants of tenant " + grants.tenant() + " for tenant " + tenant);
    }
  }
}
