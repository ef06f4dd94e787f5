package io.servo.worker.auth;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.servo.core.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * A JWS in compact serialization, split and decoded but not yet verified: three base64url parts
 * without padding, a JSON object header and payload (duplicate keys rejected, so what is verified is
 * what is read), and a non-empty signature.
 */
record CompactJws(JsonNode header, JsonNode payload, byte[] signingInput, byte[] signature) {
  /** Google's ID tokens are about 1 KiB; anything much larger is not one. */
  static final int MAX_TOKEN_CHARS = 8 * 1024;

  private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+");
  private static final ObjectReader STRICT_JSON =
      Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /**
   * @throws TokenRejectedException when {@code token} is not a well-formed compact JWS; the message
   *     never quotes the token
   */
  static CompactJws parse(String token) throws TokenRejectedException {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new TokenRejectedException("the ID token is longer than " + MAX_TOKEN_CHARS + " characters");
    }
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (second < 0 || token.indexOf('.', second + 1) >= 0) {
      throw new TokenRejectedException("the ID token is not a JWT (three base64url parts)");
    }
    String header = token.substring(0, first);
    String payload = token.substring(first + 1, second);
    String signature = token.substring(second + 1);
    return new CompactJws(
        object(decode(header), "header"),
        object(decode(payload), "payload"),
        token.substring(0, second).getBytes(StandardCharsets.US_ASCII),
        decode(signature));
  }

  private static byte[] decode(String part) throws TokenRejectedException {
    // The JDK decoder also accepts padding; a JWS part never has any.
    if (!BASE64URL.matcher(part).matches()) {
      throw new TokenRejectedException("the ID token is not a JWT (three base64url parts)");
    }
    try {
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw new TokenRejectedException("the ID token is not a JWT (three base64url parts)");
    }
  }

  private static JsonNode object(byte[] json, String what) throws TokenRejectedException {
    try {
      JsonNode node = STRICT_JSON.readTree(json);
      if (node != null && node.isObject()) {
        return node;
      }
    } catch (IOException e) {
      // reported below, without the parser's message (it quotes the input)
    }
    throw new TokenRejectedException("the ID token's " + what + " is not a JSON object");
  }
}
