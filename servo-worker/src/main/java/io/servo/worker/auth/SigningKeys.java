package io.servo.worker.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.servo.core.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's RS256 signing keys by {@code kid}, fetched from its JWKS URL and cached for the
 * response's {@code Cache-Control: max-age}. A {@code kid} not in the cache triggers a refetch (the
 * issuer rotated its keys), but fetches are at least {@code refetchInterval} apart whatever the
 * reason, so tokens with made-up {@code kid}s cannot make the worker hammer the issuer.
 */
final class SigningKeys {
  private static final Logger log = LoggerFactory.getLogger(SigningKeys.class);
  /** When the issuer says nothing about caching. Google's keys are published for days. */
  static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);
  private static final Duration MAX_MAX_AGE = Duration.ofHours(24);
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_JWKS_BYTES = 256 * 1024;
  private static final int MAX_KEYS = 64;
  private static final int MIN_MODULUS_BITS = 2048;
  private static final Pattern MAX_AGE = Pattern.compile("(?i)(?:^|[,\\s])max-age\\s*=\\s*\"?(\\d{1,10})");
  private static final Pattern NO_CACHE = Pattern.compile("(?i)(?:^|[,\\s])(no-cache|no-store)(?:$|[,\\s])");

  /** Keys as last fetched. {@code fetched} is false until a fetch first succeeds. */
  private record Snapshot(Map<String, RSAPublicKey> keys, Instant expiresAt, boolean fetched) {}

  /** No key has been fetched yet and the last attempt failed. */
  static final class UnavailableException extends Exception {
    final Duration retryAfter;

    UnavailableException(String message, Duration retryAfter) {
      super(message, null, false, false);
      this.retryAfter = retryAfter;
    }
  }

  private final HttpClient client;
  private final URI url;
  private final Clock clock;
  private final Duration refetchInterval;
  private volatile Snapshot snapshot = new Snapshot(Map.of(), Instant.MIN, false);
  private Instant lastAttempt; // guarded by this

  SigningKeys(HttpClient client, URI url, Clock clock, Duration refetchInterval) {
    this.client = client;
    this.url = url;
    this.clock = clock;
    this.refetchInterval = refetchInterval;
  }

  /**
   * The key {@code kid} names.
   *
   * @throws TokenRejectedException when the issuer does not publish such a key
   * @throws UnavailableException when the issuer's keys could not be fetched at all yet
   */
  RSAPublicKey key(String kid) throws TokenRejectedException, UnavailableException {
    Snapshot current = snapshot;
    RSAPublicKey key = current.keys().get(kid);
    if (key != null && clock.instant().isBefore(current.expiresAt())) {
      return key;
    }
    current = refresh();
    key = current.keys().get(kid);
    if (key != null) {
      // Possibly past its max-age when the refetch failed: still the issuer's key, and better than
      // refusing every task while the JWKS endpoint is down.
      return key;
    }
    if (!current.fetched()) {
      throw new UnavailableException("the OIDC issuer's signing keys cannot be fetched (SERVO_OIDC_JWKS_URL)",
          retryAfter());
    }
    throw new TokenRejectedException("the ID token is signed with a key the issuer does not publish");
  }

  private synchronized Snapshot refresh() {
    Instant now = clock.instant();
    if (lastAttempt != null && now.isBefore(lastAttempt.plus(refetchInterval))) {
      return snapshot; // also what a concurrent caller that waited here gets from the fetch it waited for
    }
    lastAttempt = now;
    try {
      snapshot = fetch(now);
      log.info("fetched {} OIDC signing key(s) from {}", snapshot.keys().size(), url);
    } catch (IOException e) {
      log.warn("cannot fetch the OIDC signing keys from {} (SERVO_OIDC_JWKS_URL): {}", url, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("interrupted while fetching the OIDC signing keys from {}", url);
    }
    return snapshot;
  }

  private synchronized Duration retryAfter() {
    Duration left = lastAttempt == null ? Duration.ZERO
        : Duration.between(clock.instant(), lastAttempt.plus(refetchInterval));
    return left.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : left;
  }

  private Snapshot fetch(Instant now) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(url)
        .timeout(FETCH_TIMEOUT)
        .header("Accept", "application/json")
        .GET()
        .build();
    HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readNBytes(MAX_JWKS_BYTES + 1);
    }
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    if (body.length > MAX_JWKS_BYTES) {
      throw new IOException("the JWKS document is larger than " + MAX_JWKS_BYTES + " bytes");
    }
    Map<String, RSAPublicKey> keys = parse(body);
    Duration maxAge = maxAge(response.headers().firstValue("Cache-Control").orElse(null));
    return new Snapshot(Map.copyOf(keys), now.plus(maxAge), true);
  }

  static Map<String, RSAPublicKey> parse(byte[] jwks) throws IOException {
    JsonNode root;
    try {
      root = Json.mapper().readTree(jwks);
    } catch (IOException e) {
      throw new IOException("the JWKS document is not JSON");
    }
    JsonNode list = root == null ? null : root.get("keys");
    if (list == null || !list.isArray()) {
      throw new IOException("the JWKS document has no \"keys\" array");
    }
    Map<String, RSAPublicKey> keys = new HashMap<>();
    for (JsonNode jwk : list) {
      if (keys.size() == MAX_KEYS) {
        break;
      }
      RSAPublicKey key = rs256Key(jwk);
      if (key != null) {
        keys.put(jwk.get("kid").asText(), key);
      }
    }
    if (keys.isEmpty()) {
      throw new IOException("the JWKS document has no usable RS256 signing key");
    }
    return keys;
  }

  /** The key when {@code jwk} is an RSA signing key usable with RS256, else null. */
  private static RSAPublicKey rs256Key(JsonNode jwk) {
    if (!jwk.isObject() || !"RSA".equals(text(jwk, "kty")) || text(jwk, "kid") == null
        || (jwk.has("use") && !"sig".equals(text(jwk, "use")))
        || (jwk.has("alg") && !"RS256".equals(text(jwk, "alg")))) {
      return null;
    }
    try {
      BigInteger modulus = new BigInteger(1, Base64.getUrlDecoder().decode(text(jwk, "n")));
      BigInteger exponent = new BigInteger(1, Base64.getUrlDecoder().decode(text(jwk, "e")));
      if (modulus.bitLength() < MIN_MODULUS_BITS || exponent.signum() <= 0) {
        return null;
      }
      return (RSAPublicKey) KeyFactory.getInstance("RSA")
          .generatePublic(new RSAPublicKeySpec(modulus, exponent));
    } catch (IllegalArgumentException | NullPointerException | GeneralSecurityException e) {
      return null;
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() && !value.asText().isEmpty() ? value.asText() : null;
  }

  static Duration maxAge(String cacheControl) {
    if (cacheControl == null) {
      return DEFAULT_MAX_AGE;
    }
    if (NO_CACHE.matcher(cacheControl).find()) {
      return Duration.ZERO;
    }
    Matcher m = MAX_AGE.matcher(cacheControl);
    if (!m.find()) {
      return DEFAULT_MAX_AGE;
    }
    Duration age = Duration.ofSeconds(Long.parseLong(m.group(1)));
    return age.compareTo(MAX_MAX_AGE) > 0 ? MAX_MAX_AGE : age;
  }
}
