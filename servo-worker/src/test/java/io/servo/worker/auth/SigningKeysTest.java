package io.servo.worker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.worker.support.IdTokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SigningKeysTest {
  @Test
  void cacheLifetimeFollowsCacheControl() {
    assertThat(SigningKeys.maxAge("public, max-age=19869, must-revalidate, no-transform"))
        .isEqualTo(Duration.ofSeconds(19869));
    assertThat(SigningKeys.maxAge("max-age=\"30\"")).isEqualTo(Duration.ofSeconds(30));
    assertThat(SigningKeys.maxAge("no-store")).isEqualTo(Duration.ZERO);
    assertThat(SigningKeys.maxAge("s-maxage=5")).isEqualTo(SigningKeys.DEFAULT_MAX_AGE);
    assertThat(SigningKeys.maxAge(null)).isEqualTo(SigningKeys.DEFAULT_MAX_AGE);
    assertThat(SigningKeys.maxAge("max-age=9999999999")).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void onlyRsaSigningKeysOfAtLeast2048BitsAreKept() throws Exception {
    var good = IdTokens.newKey("good").toPublicJWK().toJSONString();
    var small = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(1024, true).keyID("small")
        .generate().toPublicJWK().toJSONString();
    var encryption = IdTokens.newKey("enc").toPublicJWK().toJSONObject();
    encryption.put("use", "enc");
    String jwks = "{\"keys\":[" + good + "," + small + ","
        + com.nimbusds.jose.util.JSONObjectUtils.toJSONString(encryption)
        + ",{\"kty\":\"EC\",\"kid\":\"ec\"},{\"kty\":\"RSA\",\"kid\":\"bad\",\"n\":\"!!\",\"e\":\"AQAB\"}]}";

    assertThat(SigningKeys.parse(jwks.getBytes(StandardCharsets.UTF_8))).containsOnlyKeys("good");
    assertThatThrownBy(() -> SigningKeys.parse("{\"keys\":[]}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class).hasMessageContaining("no usable RS256 signing key");
    assertThatThrownBy(() -> SigningKeys.parse("[1]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class);
  }
}
