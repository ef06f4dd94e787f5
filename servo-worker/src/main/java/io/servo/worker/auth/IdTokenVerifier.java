package io.servo.worker.auth;

import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.http.HttpClient;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Verifies the Google-signed OIDC ID token Cloud Tasks puts in {@code Authorization: Bearer}, with
 * nimbus-jose-jwt's {@link DefaultJWTProcessor}: RS256 only (the algorithm is checked before any
 * key is looked up, so {@code none} and HMAC algorithms never reach a key), a key of at least 2048
 * bits from the issuer's JWKS ({@link IssuerKeys}), then the claims ({@link IdTokenClaims}):
 * {@code iss}, {@code aud}, {@code exp}, {@code nbf}, {@code iat}, {@code email_verified} and
 * {@code email} against the allow-list. Rejection reasons name the failed check and the variable
 * to look at, never a value from the token.
 */
public final class IdTokenVerifier {
  /** How far the token's times may be off the worker's clock. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
  /** The least time between two fetches of the issuer's keys. */
  public static final Duration DEFAULT_KEY_REFETCH_INTERVAL = Duration.ofSeconds(60);

  /** Google's ID tokens are about 1 KiB; anything much larger is not one. */
  static final int MAX_TOKEN_CHARS = 8 * 1024;
  private static final int MIN_KEY_BITS = 2048;
  private static final int MAX_KID_CHARS = 256;
  private static final String BEARER = "bearer ";
  /**
   * Compact serialization, unpadded: nimbus' base64url decoder also accepts padding and other
   * characters, and what is verified must be what is read.
   */
  private static final Pattern COMPACT_JWS =
      Pattern.compile("([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]*)");

  private final IssuerKeys keys;
  private final DefaultJWTProcessor<SecurityContext> processor;

  private IdTokenVerifier(IssuerKeys keys, IdTokenClaims claims) {
    this.keys = keys;
    this.processor = new DefaultJWTProcessor<>();
    // Google's tokens say typ JWT; the type proves nothing the signature and claims do not.
    processor.setJWSTypeVerifier((type, context) -> { });
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys) {
      @Override
      protected JWKMatcher createJWKMatcher(JWSHeader header) {
        // RSA, use sig or none, alg RS256 or none, the token's kid; and no short keys.
        return new JWKMatcher.Builder(super.createJWKMatcher(header)).minKeySize(MIN_KEY_BITS).build();
      }
    });
    processor.setJWTClaimsSetVerifier(claims);
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
    return new IdTokenVerifier(new IssuerKeys(client, config.jwksUrl(), clock, keyRefetchInterval),
        new IdTokenClaims(config, clock, DEFAULT_CLOCK_SKEW));
  }

  /**
   * @param authorization the request's {@code Authorization} header, or null
   */
  public AuthDecision verify(String authorization) {
    try {
      processor.process(parse(bearerToken(authorization)), null);
      return AuthDecision.ACCEPTED;
    } catch (TokenRejectedException | IdTokenClaims.Rejected e) {
      return new AuthDecision.Rejected(e.getMessage());
    } catch (BadJWSException e) {
      return new AuthDecision.Rejected("the ID token's signature does not verify with the issuer's key");
    } catch (BadJOSEException e) {
      // The algorithm was checked and the type is not: what is left is a kid the issuer does not
      // publish (or publishes only with a key shorter than 2048 bits).
      return new AuthDecision.Rejected("the ID token is signed with a key the issuer does not publish");
    } catch (KeySourceException e) {
      return new AuthDecision.Unavailable(
          "the OIDC issuer's signing keys cannot be fetched (SERVO_OIDC_JWKS_URL)", keys.retryAfter());
    } catch (JOSEException e) {
      return new AuthDecision.Rejected("the ID token's signature does not verify with the issuer's key");
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

  /**
   * The token as a JWS with an RS256 header naming its key and a JSON payload, not yet verified.
   * Messages never quote the token (nimbus' parse errors do, so they are not passed on).
   */
  private static SignedJWT parse(String token) throws TokenRejectedException {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new TokenRejectedException("the ID token is longer than " + MAX_TOKEN_CHARS + " characters");
    }
    Matcher parts = COMPACT_JWS.matcher(token);
    if (!parts.matches()) {
      throw new TokenRejectedException("the ID token is not a JWT (three base64url parts)");
    }
    Base64URL headerPart = new Base64URL(parts.group(1));
    Map<String, Object> headerJson;
    try {
      headerJson = JSONObjectUtils.parse(headerPart.decodeToString());
    } catch (ParseException e) {
      throw new TokenRejectedException("the ID token's header is not a JSON object");
    }
    Header header;
    try {
      header = Header.parse(headerJson, headerPart);
    } catch (ParseException e) {
      throw new TokenRejectedException("the ID token's header is not a JOSE header");
    }
    if (!(header instanceof JWSHeader jws) || !JWSAlgorithm.RS256.equals(jws.getAlgorithm())) {
      throw new TokenRejectedException("the ID token's algorithm must be RS256");
    }
    if (jws.getCriticalParams() != null) {
      throw new TokenRejectedException("the ID token has critical header parameters this worker does not support");
    }
    if (jws.getKeyID() == null || jws.getKeyID().isEmpty() || jws.getKeyID().length() > MAX_KID_CHARS) {
      throw new TokenRejectedException("the ID token does not name its signing key (kid)");
    }
    try {
      SignedJWT jwt = new SignedJWT(headerPart, new Base64URL(parts.group(2)), new Base64URL(parts.group(3)));
      jwt.getJWTClaimsSet();
      return jwt;
    } catch (ParseException e) {
      throw new TokenRejectedException("the ID token's payload is not a JSON object");
    }
  }
}
