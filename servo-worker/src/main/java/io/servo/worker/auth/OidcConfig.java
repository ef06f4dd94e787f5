package io.servo.worker.auth;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What the worker demands of the ID token Cloud Tasks sends in {@code Authorization: Bearer}.
 * Validated by {@code WorkerConfig.fromEnvironment}; an enabled configuration always has an
 * audience and at least one allowed email.
 *
 * @param enabled {@code SERVO_OIDC_ENABLED}
 * @param audience {@code SERVO_OIDC_AUDIENCE}: the token's {@code aud}, normally the worker's URL
 * @param issuer {@code SERVO_OIDC_ISSUER}: the token's {@code iss}
 * @param allowedEmails {@code SERVO_OIDC_ALLOWED_EMAILS}: service accounts allowed to push tasks,
 *     stored lower-case
 * @param jwksUrl {@code SERVO_OIDC_JWKS_URL}: where the issuer publishes its signing keys
 */
public record OidcConfig(
    boolean enabled, String audience, String issuer, List<String> allowedEmails, URI jwksUrl) {

  public static final String GOOGLE_ISSUER = "https://accounts.google.com";
  public static final URI GOOGLE_JWKS_URL = URI.create("https://www.googleapis.com/oauth2/v3/certs");

  /** OIDC off: only the HMAC signature is checked. */
  public static final OidcConfig DISABLED =
      new OidcConfig(false, null, GOOGLE_ISSUER, List.of(), GOOGLE_JWKS_URL);

  public OidcConfig {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(jwksUrl, "jwksUrl");
    allowedEmails = allowedEmails.stream().map(e -> e.toLowerCase(Locale.ROOT)).toList();
    if (enabled && (audience == null || audience.isBlank() || allowedEmails.isEmpty())) {
      throw new IllegalArgumentException("an enabled OIDC check needs an audience and allowed emails");
    }
  }

  /**
   * The {@code iss} values accepted: the issuer itself and, for Google, the scheme-less form
   * {@code accounts.google.com} Google also puts in its tokens.
   */
  Set<String> acceptedIssuers() {
    return GOOGLE_ISSUER.equals(issuer) ? Set.of(GOOGLE_ISSUER, "accounts.google.com") : Set.of(issuer);
  }

  @Override
  public String toString() {
    return enabled
        ? "oidc[audience=" + audience + ", issuer=" + issuer + ", allowedEmails=" + allowedEmails
            + ", jwksUrl=" + jwksUrl + "]"
        : "oidc[disabled]";
  }
}
