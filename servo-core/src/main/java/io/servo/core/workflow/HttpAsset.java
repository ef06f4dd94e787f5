package io.servo.core.workflow;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An HTTP request; a non-2xx answer fails the asset. {@code url}, header values and {@code body} may
 * hold {@code ${env:NAME}} references, resolved on the worker when the asset runs.
 */
public record HttpAsset(
    String name,
    List<String> dependsOn,
    Duration timeout,
    String method,
    String url,
    Map<String, String> headers,
    String body)
    implements Asset {
  public HttpAsset {
    dependsOn = List.copyOf(dependsOn);
    headers = Map.copyOf(headers);
  }

  @Override
  public AssetKind kind() {
    return AssetKind.HTTP;
  }
}
