package io.servo.worker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.opts.AllowWeakRSAKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.servo.worker.support.IdTokens;
import io.servo.worker.support.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The issuer's keys and the token's shape, through the public verifier: which published keys are
 * used, the bound on the JWKS document, keys kept through an outage, and JSON the verifier refuses
 * to guess about.
 */
class IdTokenVerifierTest {
  private final IdTokens issuer = IdTokens.start();
  private final MutableClock clock = new MutableClock();
  private final HttpClient client = HttpClient.newHttpClient();
  private final IdTokenVerifier verifier = IdTokenVerifier.create(
      new OidcConfig(true, IdTokens.AUDIENCE, IdTokens.ISSUER, List.of(IdTokens.EMAIL),
          URI.create(issuer.jwksUrl())),
      client, clock, Duration.ofSeconds(60));

  @AfterEach
  void tearDown() {
    issuer.close();
  }

  private AuthDecision verify(String token) {
    return verifier.verify("Bearer " + token);
  }

  private String validToken() {
    return issuer.token(clock.instant());
  }

  private static String reason(AuthDecision decision) {
    assertThat(decision).isInstanceOf(AuthDecision.Rejected.class);
    return ((AuthDecision.Rejected) decision).reason();
  }

  @Test
  void aValidTokenIsAccepted() {
    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
  }

  @Test
  void anRsaKeyShorterThan2048BitsIsNotUsed() throws Exception {
    clock.freeze();
    RSAKey small = new RSAKeyGenerator(1024, true).keyID("small").generate();
    issuer.publish(issuer.key(), small);

    JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("small").build(),
        new Payload(IdTokens.claims(clock.instant()).build().toJSONObject()));
    jws.sign(new RSASSASigner(small.toPrivateKey(), Set.of(AllowWeakRSAKey.getInstance())));

    assertThat(reason(verify(jws.serialize()))).contains("key the issuer does not publish");
    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
  }

  @Test
  void anEncryptionKeyIsNotUsedForSignatures() throws Exception {
    RSAKey encryption = new RSAKey.Builder(IdTokens.newKey("enc")).keyUse(KeyUse.ENCRYPTION).build();
    issuer.publish(issuer.key(), encryption);

    String token = IdTokens.sign(encryption, "enc", IdTokens.claims(clock.instant()).build());

    assertThat(reason(verify(token))).contains("key the issuer does not publish");
  }

  @Test
  void keysOfOtherTypesBesideTheRsaKeysAreIgnored() {
    issuer.publishAlsoRaw("{\"kty\":\"oct\",\"kid\":\"test-key-1\",\"k\":\"c2VjcmV0\"}");

    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
  }

  @Test
  void aJwksDocumentOverTheSizeBoundIsNotUsed() {
    issuer.pad(JwksRetriever.MAX_JWKS_BYTES);

    AuthDecision decision = verify(validToken());

    assertThat(decision).isInstanceOf(AuthDecision.Unavailable.class);
    assertThat(((AuthDecision.Unavailable) decision).reason()).contains("SERVO_OIDC_JWKS_URL");
    assertThat(((AuthDecision.Unavailable) decision).retryAfter())
        .isBetween(Duration.ofSeconds(1), Duration.ofSeconds(60));
  }

  @Test
  void aJwksDocumentJustUnderTheSizeBoundIsUsed() {
    String jwks = "{\"keys\":[" + issuer.key().toPublicJWK().toJSONString() + "]}";
    issuer.pad(JwksRetriever.MAX_JWKS_BYTES - jwks.length() - 100);

    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
  }

  @Test
  void theLastKeysStayInUseWhileTheIssuerIsDown() {
    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
    issuer.status(500);
    clock.advance(IssuerKeys.CACHE_TTL.plusMinutes(1));

    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
    assertThat(issuer.jwksHits()).isEqualTo(2);
    // An unknown kid during the outage is a rejection, not "try later".
    String unknown = IdTokens.sign(issuer.key(), "rotated", IdTokens.claims(clock.instant()).build());
    clock.advance(Duration.ofSeconds(61));
    assertThat(reason(verify(unknown))).contains("key the issuer does not publish");
  }

  @Test
  void keysAreFetchedAgainOnceTheCacheLifetimeHasPassed() {
    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
    clock.advance(IssuerKeys.CACHE_TTL.minusMinutes(1));
    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
    assertThat(issuer.jwksHits()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2));
    assertThat(verify(validToken())).isEqualTo(AuthDecision.ACCEPTED);
    assertThat(issuer.jwksHits()).isEqualTo(2);
  }

  @Test
  void aPayloadThatRepeatsAClaimIsRejected() throws Exception {
    String claims = IdTokens.claims(clock.instant()).build().toString();
    String repeated = claims.replaceFirst("\\{", "{\"email\":\"intruder@example.com\",");
    JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID(issuer.key().getKeyID()).build(), new Payload(repeated));
    jws.sign(new RSASSASigner(issuer.key()));

    assertThat(reason(verify(jws.serialize()))).contains("payload is not a JSON object");
  }

  @Test
  void aHeaderWithoutAlgorithmIsRejectedBeforeAnyKeyIsFetched() {
    String[] parts = validToken().split("\\.");
    String header = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"kid\":\"test-key-1\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(reason(verify(header + "." + parts[1] + "." + parts[2]))).contains("not a JOSE header");
    assertThat(issuer.jwksHits()).isZero();
  }

  @Test
  void criticalHeaderParametersAreRejected() throws Exception {
    JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID(issuer.key().getKeyID())
        .criticalParams(Set.of("exp"))
        .customParam("exp", 1)
        .build(), new Payload(IdTokens.claims(clock.instant()).build().toJSONObject()));
    jws.sign(new RSASSASigner(issuer.key()));

    assertThat(reason(verify(jws.serialize()))).contains("critical header parameters");
  }
}
