package io.servo.core.tenant;

import java.net.URI;
import java.util.Objects;

/**
 * A tenant's own worker service: the orchestrator sends that tenant's tasks to {@code url}, signed
 * with {@code hmacSecret}, the key only that worker holds.
 */
public record WorkerRoute(String tenant, URI url, String hmacSecret) {
  public WorkerRoute {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(hmacSecret, "hmacSecret");
  }

  @Override
  public String toString() {
    return "WorkerRoute[tenant=" + tenant + ", url=" + url + ", hmacSecret=(set)]";
  }
}
