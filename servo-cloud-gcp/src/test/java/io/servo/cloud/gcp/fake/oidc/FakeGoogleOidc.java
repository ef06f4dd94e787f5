package io.servo.cloud.gcp.fake.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;

/**
 * Stands in for Google's OIDC token service: mints RS256 ID tokens shaped like those Cloud Tasks
 * attaches for an {@code oidc_token} (iss {@code https://accounts.google.com}, aud, email,
 * email_verified, sub, azp, iat, exp, and a {@code kid} header), signed by a test RSA key whose
 * public half is published as a JWKS, as at {@code https://www.googleapis.com/oauth2/v3/certs}.
 */
public final class FakeGoogleOidc {
  public static final String GOOGLE_ISSUER = "https://accounts.google.com";
  public static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

  private final RSAKey key;
  private final String issuer;
  private final Clock clock;

  private FakeGoogleOidc(RSAKey key, String issuer, Clock clock) {
    this.key = key;
    this.issuer = issuer;
    this.clock = clock;
  }

  /** A fresh 2048-bit key, Google's issuer, the system clock. */
  public static FakeGoogleOidc create() {
    return create(GOOGLE_ISSUER, Clock.systemUTC());
  }

  public static FakeGoogleOidc create(String issuer, Clock clock) {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(clock, "clock");
    try {
      RSAKey key = new RSAKeyGenerator(2048)
          .keyID("servo-test-" + UUID.randomUUID().toString().substring(0, 8))
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.RS256)
          .generate();
      return new FakeGoogleOidc(key, issuer, clock);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate the test RSA key", e);
    }
  }

  /** An ID token for {@code email} with audience {@code audience}, valid for an hour from now. */
  public String mintIdToken(String audience, String email) {
    Instant now = clock.instant();
    return sign(new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(audience)
        .subject(subjectFor(email))
        .claim("azp", subjectFor(email))
        .claim("email", email)
        .claim("email_verified", true)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(TOKEN_LIFETIME)))
        .build());
  }

  /** Signs arbitrary claims with the test key (for tests of expired or foreign tokens). */
  public String sign(JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
        claims);
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign the test token", e);
    }
    return jwt.serialize();
  }

  /** The public key set, as JSON ({@code {"keys":[...]}}). */
  public String jwksJson() {
    return new JWKSet(key.toPublicJWK()).toString();
  }

  public JWKSet publicKeys() {
    return new JWKSet(key.toPublicJWK());
  }

  public String keyId() {
    return key.getKeyID();
  }

  public String issuer() {
    return issuer;
  }

  /** Serves {@link #jwksJson()} at {@code /certs} on 127.0.0.1 and an ephemeral port. */
  public JwksServer startJwksServer() {
    return JwksServer.start(this);
  }

  /** Google's sub is a stable numeric id per account; derive one from the email. */
  private static String subjectFor(String email) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(email.getBytes(StandardCharsets.UTF_8));
      return "1" + Long.toUnsignedString(Long.parseUnsignedLong(HexFormat.of().formatHex(digest, 0, 8), 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
