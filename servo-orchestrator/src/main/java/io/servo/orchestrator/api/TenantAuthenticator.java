package io.servo.orchestrator.api;

import io.servo.core.workflow.Workflow;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Maps {@code Authorization: Bearer <token>} to the tenant the token belongs to. With no tokens
 * configured (development only) every request is tenant {@code default}.
 */
public final class TenantAuthenticator {
  private static final String BEARER = "bearer ";

  /** SHA-256 of each token → tenant; comparing digests keeps the comparison independent of token length. */
  private final Map<byte[], String> digests;
  private final boolean open;

  private TenantAuthenticator(Map<byte[], String> digests, boolean open) {
    this.digests = digests;
    this.open = open;
  }

  /** @param tokens tenant → token; empty lets every request in as tenant {@code default} */
  public static TenantAuthenticator create(Map<String, String> tokens) {
    Map<byte[], String> digests = new LinkedHashMap<>();
    tokens.forEach((tenant, token) -> digests.put(sha256(token), tenant));
    return new TenantAuthenticator(digests, tokens.isEmpty());
  }

  /** Whether no tokens are configured (development only): every caller is anonymous. */
  public boolean open() {
    return open;
  }

  /** How the caller of a request with this {@code Authorization} header authenticated. */
  public CallerAuthentication caller(String authorizationHeader) {
    if (open) {
      return CallerAuthentication.ANONYMOUS;
    }
    return tenant(authorizationHeader).isPresent() ? CallerAuthentication.AUTHENTICATED : CallerAuthentication.REJECTED;
  }

  /** The caller's tenant, or empty when the header is missing or names no known token. */
  public Optional<String> tenant(String authorizationHeader) {
    if (open) {
      return Optional.of(Workflow.DEFAULT_TENANT);
    }
    if (authorizationHeader == null
        || authorizationHeader.length() <= BEARER.length()
        || !authorizationHeader.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Optional.empty();
    }
    byte[] presented = sha256(authorizationHeader.substring(BEARER.length()).trim());
    String match = null;
    // Compare against every token, without stopping early, so timing does not tell which matched.
    for (Map.Entry<byte[], String> e : digests.entrySet()) {
      if (MessageDigest.isEqual(e.getKey(), presented)) {
        match = e.getValue();
      }
    }
    return Optional.ofNullable(match);
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
