package io.servo.worker.auth;

import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The claims of Cloud Tasks' ID token, checked once nimbus has verified the signature: {@code iss},
 * {@code aud}, {@code exp}, {@code nbf}, {@code iat} against the worker's {@link Clock} (nimbus'
 * {@code DefaultJWTClaimsVerifier} reads the system clock and quotes claim values in its
 * messages), then {@code email_verified} and {@code email} against the allow-list.
 */
final class IdTokenClaims implements JWTClaimsSetVerifier<SecurityContext> {

  /** A claim is not acceptable. The message names the check, never a value from the token. */
  static final class Rejected extends BadJWTException {
    Rejected(String message) {
      super(message);
    }
  }

  private final Set<String> issuers;
  private final String audience;
  private final List<String> allowedEmails;
  private final Clock clock;
  private final long skewSeconds;

  IdTokenClaims(OidcConfig config, Clock clock, Duration skew) {
    this.issuers = config.acceptedIssuers();
    this.audience = config.audience();
    this.allowedEmails = config.allowedEmails();
    this.clock = clock;
    this.skewSeconds = skew.toSeconds();
  }

  @Override
  public void verify(JWTClaimsSet claims, SecurityContext context) throws Rejected {
    if (!(claims.getClaim("iss") instanceof String issuer) || !issuers.contains(issuer)) {
      throw new Rejected("the ID token's issuer is not SERVO_OIDC_ISSUER");
    }
    if (!audienceMatches(claims.getClaim("aud"))) {
      throw new Rejected("the ID token's audience is not SERVO_OIDC_AUDIENCE");
    }
    long now = clock.instant().getEpochSecond();
    if (now >= seconds(claims, "exp") + skewSeconds) {
      throw new Rejected("the ID token has expired");
    }
    if (claims.getClaim("nbf") != null && seconds(claims, "nbf") > now + skewSeconds) {
      throw new Rejected("the ID token is not valid yet (nbf)");
    }
    if (seconds(claims, "iat") > now + skewSeconds) {
      throw new Rejected("the ID token is issued in the future (iat)");
    }
    if (!(claims.getClaim("email") instanceof String email)) {
      throw new Rejected("the ID token has no email claim");
    }
    Object verified = claims.getClaim("email_verified");
    if (!Boolean.TRUE.equals(verified) && !"true".equals(verified)) {
      throw new Rejected("the ID token's email is not verified");
    }
    if (!allowedEmails.contains(email.toLowerCase(Locale.ROOT))) {
      throw new Rejected("the ID token's email is not in SERVO_OIDC_ALLOWED_EMAILS");
    }
  }

  /** {@code aud} is the audience, or an array holding it. */
  private boolean audienceMatches(Object aud) {
    if (aud instanceof String one) {
      return audience.equals(one);
    }
    return aud instanceof List<?> many && many.contains(audience);
  }

  private static long seconds(JWTClaimsSet claims, String name) throws Rejected {
    // nimbus parses exp, nbf and iat into Dates (a payload where they are not numbers does not
    // parse); a missing one is null.
    if (!(claims.getClaim(name) instanceof Date time)) {
      throw new Rejected("the ID token's " + name + " claim is missing or not a time");
    }
    return Math.floorDiv(time.getTime(), 1000);
  }
}
