package io.servo.worker.auth;

import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Fetches the issuer's JWKS for nimbus over the worker's one {@link HttpClient}: {@code 200} only,
 * at most {@value #MAX_JWKS_BYTES} bytes, {@code FETCH_TIMEOUT} to the response headers.
 */
final class JwksRetriever implements ResourceRetriever {
  /** Google's JWKS is about 2 KiB; a document this large is not one. */
  static final int MAX_JWKS_BYTES = 256 * 1024;
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient client;

  JwksRetriever(HttpClient client) {
    this.client = client;
  }

  @Override
  public Resource retrieveResource(URL url) throws IOException {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(url.toURI())
          .timeout(FETCH_TIMEOUT)
          .header("Accept", "application/json")
          .GET()
          .build();
    } catch (URISyntaxException e) {
      throw new IOException("the JWKS URL is not a URI", e);
    }
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching the JWKS");
    }
    byte[] body;
    try (InputStream in = response.body()) {
      // One byte more than allowed tells "too large" from "exactly the limit" without reading on.
      body = in.readNBytes(MAX_JWKS_BYTES + 1);
    }
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    if (body.length > MAX_JWKS_BYTES) {
      throw new IOException("the JWKS document is larger than " + MAX_JWKS_BYTES + " bytes");
    }
    return new Resource(new String(body, StandardCharsets.UTF_8),
        response.headers().firstValue("Content-Type").orElse(null));
  }
}
