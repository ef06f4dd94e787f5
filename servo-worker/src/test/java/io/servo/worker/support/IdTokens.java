package io.servo.worker.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A stand-in for Google's OIDC issuer: an RSA signing key, a JWKS endpoint on a JDK HttpServer that
 * counts its hits, and ID tokens shaped like the ones Cloud Tasks sends.
 */
public final class IdTokens implements AutoCloseable {
  public static final String AUDIENCE = "https://servo-worker-test.a.run.app";
  public static final String ISSUER = "https://accounts.google.com";
  public static final String EMAIL = "servo-tasks@servo-test.iam.gserviceaccount.com";

  private final HttpServer server;
  private final AtomicInteger hits = new AtomicInteger();
  private volatile List<RSAKey> published;
  private volatile int status = 200;
  private volatile int padding;
  private volatile String extraKeyJson;
  private final RSAKey key;

  private IdTokens() {
    this.key = newKey("test-key-1");
    this.published = List.of(key);
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.createContext("/certs", exchange -> {
      hits.incrementAndGet();
      String jwks = new JWKSet(List.copyOf(published.stream().map(RSAKey::toPublicJWK).toList()))
          .toString();
      if (extraKeyJson != null) {
        jwks = jwks.replaceFirst("\\[", "[" + extraKeyJson + ",");
      }
      byte[] body = (jwks + " ".repeat(padding)).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Cache-Control", "public, max-age=3600, must-revalidate");
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  public static IdTokens start() {
    return new IdTokens();
  }

  public static RSAKey newKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  public String jwksUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/certs";
  }

  /** The worker's OIDC settings for this issuer. */
  public Map<String, String> workerConfig() {
    return Map.of("SERVO_OIDC_ENABLED", "true", "SERVO_OIDC_AUDIENCE", AUDIENCE,
        "SERVO_OIDC_ALLOWED_EMAILS", "someone-else@example.com, " + EMAIL,
        "SERVO_OIDC_JWKS_URL", jwksUrl());
  }

  /** How many times the JWKS was fetched. */
  public int jwksHits() {
    return hits.get();
  }

  public RSAKey key() {
    return key;
  }

  /** The keys the endpoint publishes from now on. */
  public void publish(RSAKey... keys) {
    published = List.of(keys);
  }

  /** The JWKS document ends with this many spaces (still JSON, only larger). */
  public void pad(int bytes) {
    padding = bytes;
  }

  /** A JSON object the JWKS lists first, before the published keys. */
  public void publishAlsoRaw(String jwkJson) {
    extraKeyJson = jwkJson;
  }

  /** The JWKS endpoint answers with this status (500: the issuer is down). */
  public void status(int code) {
    status = code;
  }

  /** The claims Cloud Tasks' token carries, issued {@code now}. */
  public static JWTClaimsSet.Builder claims(Instant now) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject("104857600000000000000")
        .claim("azp", "104857600000000000000")
        .claim("email", EMAIL)
        .claim("email_verified", true)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(3600)));
  }

  /** A valid token issued {@code now}. */
  public String token(Instant now) {
    return token(now, UnaryOperator.identity());
  }

  /** A token signed with the published key after {@code edit} changed its claims. */
  public String token(Instant now, UnaryOperator<JWTClaimsSet.Builder> edit) {
    return sign(key, key.getKeyID(), edit.apply(claims(now)).build());
  }

  public static String sign(RSAKey with, String kid, JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid)
          .type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(new RSASSASigner(with));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HS256 with the RSA public key's encoded bytes as the HMAC secret: the classic key confusion. */
  public String hs256WithPublicKey(Instant now) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
          .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims(now).build());
      jwt.sign(new MACSigner(key.toRSAPublicKey().getEncoded()));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsecured token ({@code alg: none}) with the given signature part (may be empty). */
  public String unsecured(Instant now, String signaturePart) {
    String header = base64url("{\"alg\":\"none\",\"kid\":\"" + key.getKeyID() + "\",\"typ\":\"JWT\"}");
    String payload = base64url(claims(now).build().toString());
    return header + "." + payload + "." + signaturePart;
  }

  private static String base64url(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
