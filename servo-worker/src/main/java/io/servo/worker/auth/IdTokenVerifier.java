package io.servo.worker.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies the Google-signed OIDC ID token Cloud Tasks puts in {@code Authorization: Bearer}: RS256
 * only (the algorithm is checked before any key is looked up, so {@code none} and HMAC algorithms
 * never reach a key), a key from the issuer's JWKS, then {@code iss}, {@code aud}, {@code exp},
 * {@code nbf}, {@code iat}, {@code email_verified} and {@code email} against the allow-list.
 * Rejection reasons name the failed check and the variable to look at, never a value from the token.
 */
public final class IdTokenVerifier {
  /** How far the token's times may be off the worker's clock. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
  /** The least time between two fetches of the issuer's keys. */
  public static final Duration DEFAULT_KEY_REFETCH_INTERVAL = Duration.ofSeconds(60);

  private static final String BEARER = "bearer ";
  private static final int MAX_KID_CHARS = 256;

  private final OidcConfig config;
  private final Set<String> issuers;
  private final SigningKeys keys;
  private final Clock clock;
  private final long skewSeconds;

  private IdTokenVerifier(OidcConfig config, SigningKeys keys, Clock clock, Duration skew) {
    this.config = config;
    this.issuers = config.acceptedIssuers();
    this.keys = keys;
    this.clock = clock;
    this.skewSeconds = skew.toSeconds();
  }

  /**
   * @param client the worker's one HTTP client, used to fetch the issuer's keys
   * @param keyRefetchInterval the least time between two key fetches, whatever the tokens ask for
   */
  public static IdTokenVerifier create(
      OidcConfig config, HttpClient client, Clock clock, Duration keyRefetchInterval) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(keyRefetchInterval, "keyRefetchInterval");
    if (!config.enabled()) {
      throw new IllegalArgumentException("OIDC is disabled in this configuration");
    }
    if (keyRefetchInterval.isNegative()) {
      throw new IllegalArgumentException("keyRefetchInterval must not be negative, got " + keyRefetchInterval);
    }
    return new IdTokenVerifier(config,
        new SigningKeys(client, config.jwksUrl(), clock, keyRefetchInterval), clock, DEFAULT_CLOCK_SKEW);
  }

  /**
   * @param authorization the request's {@code Authorization} header, or null
   */
  public AuthDecision verify(String authorization) {
    try {
      String email = verifiedEmail(bearerToken(authorization));
      if (!config.allowedEmails().contains(email)) {
        return new AuthDecision.Rejected(
            "the ID token's email is not in SERVO_OIDC_ALLOWED_EMAILS");
      }
      return AuthDecision.ACCEPTED;
    } catch (TokenRejectedException e) {
      return new AuthDecision.Rejected(e.getMessage());
    } catch (SigningKeys.UnavailableException e) {
      return new AuthDecision.Unavailable(e.getMessage(), e.retryAfter);
    }
  }

  private static String bearerToken(String authorization) throws TokenRejectedException {
    if (authorization == null || authorization.isEmpty()) {
      throw new TokenRejectedException("missing Authorization: Bearer ID token (SERVO_OIDC_ENABLED is on)");
    }
    if (authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new TokenRejectedException("the Authorization header is not \"Bearer <ID token>\"");
    }
    return authorization.substring(BEARER.length());
  }

  /** The token's email once everything but the allow-list has been checked. */
  private String verifiedEmail(String token) throws TokenRejectedException, SigningKeys.UnavailableException {
    CompactJws jws = CompactJws.parse(token);
    JsonNode header = jws.header();
    if (!"RS256".equals(text(header, "alg"))) {
      throw new TokenRejectedException("the ID token's algorithm must be RS256");
    }
    if (header.has("crit")) {
      throw new TokenRejectedException("the ID token has critical header parameters this worker does not support");
    }
    String kid = text(header, "kid");
    if (kid == null || kid.length() > MAX_KID_CHARS) {
      throw new TokenRejectedException("the ID token does not name its signing key (kid)");
    }
    verifySignature(jws, keys.key(kid));
    return checkClaims(jws.payload());
  }

  private static void verifySignature(CompactJws jws, RSAPublicKey key) throws TokenRejectedException {
    boolean valid;
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initVerify(key);
      rsa.update(jws.signingInput());
      valid = rsa.verify(jws.signature());
    } catch (GeneralSecurityException e) {
      valid = false; // a signature of the wrong length, say
    }
    if (!valid) {
      throw new TokenRejectedException("the ID token's signature does not verify with the issuer's key");
    }
  }

  private String checkClaims(JsonNode claims) throws TokenRejectedException {
    String issuer = text(claims, "iss");
    if (issuer == null || !issuers.contains(issuer)) {
      throw new TokenRejectedException("the ID token's issuer is not SERVO_OIDC_ISSUER");
    }
    if (!audienceMatches(claims.get("aud"))) {
      throw new TokenRejectedException("the ID token's audience is not SERVO_OIDC_AUDIENCE");
    }
    long now = clock.instant().getEpochSecond();
    long expires = seconds(claims, "exp");
    if (now >= expires + skewSeconds) {
      throw new TokenRejectedException("the ID token has expired");
    }
    if (claims.has("nbf") && seconds(claims, "nbf") > now + skewSeconds) {
      throw new TokenRejectedException("the ID token is not valid yet (nbf)");
    }
    if (seconds(claims, "iat") > now + skewSeconds) {
      throw new TokenRejectedException("the ID token is issued in the future (iat)");
    }
    JsonNode verified = claims.get("email_verified");
    boolean emailVerified = verified != null
        && (verified.isBoolean() ? verified.booleanValue() : "true".equals(text(claims, "email_verified")));
    String email = text(claims, "email");
    if (email == null) {
      throw new TokenRejectedException("the ID token has no email claim");
    }
    if (!emailVerified) {
      throw new TokenRejectedException("the ID token's email is not verified");
    }
    return email.toLowerCase(Locale.ROOT);
  }

  private boolean audienceMatches(JsonNode aud) {
    if (aud == null) {
      return false;
    }
    if (aud.isTextual()) {
      return config.audience().equals(aud.asText());
    }
    if (aud.isArray()) {
      for (JsonNode one : aud) {
        if (one.isTextual() && config.audience().equals(one.asText())) {
          return true;
        }
      }
    }
    return false;
  }

  private static long seconds(JsonNode claims, String name) throws TokenRejectedException {
    JsonNode value = claims.get(name);
    if (value == null || !value.isNumber() || !value.canConvertToLong()) {
      throw new TokenRejectedException("the ID token's " + name + " claim is missing or not a time");
    }
    return value.asLong();
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() ? value.asText() : null;
  }
}
