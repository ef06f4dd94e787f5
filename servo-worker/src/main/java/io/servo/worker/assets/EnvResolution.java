package io.servo.worker.assets;

import io.servo.core.tenant.ReservedVariables;
import io.servo.core.tenant.TenantGrants;
import io.servo.core.tenant.TenantPolicy;
import io.servo.core.workflow.EnvReferences;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Resolves the {@code ${env:NAME}} references of one asset run against the worker's environment
 * and remembers every value it handed out, so everything the run reports can be redacted. A value
 * that is a URL also has its password and its query values remembered: a server that answers an
 * error quotes its request target ({@code /hook?token=…}), not the URL it was given.
 */
final class EnvResolution {
  /** Query values shorter than this are not treated as secrets ("1", "true", "json" are everywhere). */
  static final int MIN_QUERY_SECRET_CHARS = 6;

  private final Map<String, String> environment;
  private final TenantGrants grants;
  private final Set<String> resolved = new LinkedHashSet<>();

  /** @param grants the names the asset's tenant may resolve; no other is looked up */
  EnvResolution(Map<String, String> environment, TenantGrants grants) {
    this.environment = environment;
    this.grants = grants;
  }

  /**
   * @throws IllegalStateException naming the variable (never a value) when it is not granted to
   *     the tenant or not set
   */
  String resolve(String template) {
    for (String name : EnvReferences.names(template)) {
      if (!grants.mayResolve(name)) {
        throw new IllegalStateException("${env:" + name + "} is not granted to tenant '" + grants.tenant()
            + "' on this worker" + (ReservedVariables.isReserved(name)
                ? " (it is Servo's or the platform's own, which no workflow may read)"
                : "; an operator grants it by adding " + name + " to "
                    + TenantPolicy.variable(grants.tenant(), TenantPolicy.ENV) + " on the worker"));
      }
    }
    return EnvReferences.resolve(template, name -> {
      String value = environment.get(name);
      if (value != null) {
        resolved.add(value);
        rememberUrlParts(value);
      }
      return value;
    });
  }

  private void rememberUrlParts(String value) {
    if (!value.contains("://")) {
      return;
    }
    URI uri;
    try {
      uri = new URI(value.trim());
    } catch (URISyntaxException e) {
      return; // not a URL: the value as a whole is remembered already
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && userInfo.indexOf(':') >= 0) {
      remember(userInfo.substring(userInfo.indexOf(':') + 1), 1);
    }
    String query = uri.getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq >= 0) {
          remember(pair.substring(eq + 1), MIN_QUERY_SECRET_CHARS);
        }
      }
    }
  }

  /** Remembers {@code raw} and its percent-decoded form, when at least {@code minChars} long. */
  private void remember(String raw, int minChars) {
    if (raw.length() >= minChars) {
      resolved.add(raw);
      try {
        String decoded = URLDecoder.decode(raw, StandardCharsets.UTF_8);
        if (decoded.length() >= minChars) {
          resolved.add(decoded);
        }
      } catch (IllegalArgumentException e) {
        // a malformed escape: the raw form is remembered
      }
    }
  }

  ResolvedValueMask mask() {
    return ResolvedValueMask.of(resolved);
  }
}
