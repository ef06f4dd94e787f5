package io.servo.worker.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.CachingJWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetSourceWrapper;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's signing keys: nimbus' remote JWK set, cached for {@code CACHE_TTL}, the last good
 * set kept through fetch failures for {@code OUTAGE_TTL}, read on the worker's {@link Clock}
 * (nimbus' own {@code JWKSetBasedJWKSource} reads the system clock).
 *
 * <p>A {@code kid} not in the cached set triggers a refetch (the issuer rotated its keys), but
 * fetches are at least {@code refetchInterval} apart whatever asks for them, so tokens with made-up
 * {@code kid}s cannot make the worker hammer the issuer. nimbus' {@code RateLimitedJWKSetSource}
 * allows two fetches per interval; {@link FetchBound} allows one.
 */
final class IssuerKeys implements JWKSource<SecurityContext> {
  /** How long fetched keys are used before they are fetched again. */
  static final Duration CACHE_TTL = Duration.ofHours(1);
  /** How long the last fetched keys stay in use while the issuer's JWKS cannot be fetched. */
  static final Duration OUTAGE_TTL = Duration.ofHours(24);
  /** How long a request waits for a fetch another request started. */
  private static final Duration REFRESH_WAIT = Duration.ofSeconds(15);

  private final JWKSetSource<SecurityContext> source;
  private final FetchBound fetches;
  private final Clock clock;

  IssuerKeys(HttpClient client, URI url, Clock clock, Duration refetchInterval) {
    try {
      this.fetches = new FetchBound(
          new URLBasedJWKSetSource<>(url.toURL(), new JwksRetriever(client)), url, refetchInterval);
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the JWKS URL is not a URL: " + url, e);
    }
    this.source = new CachingJWKSetSource<>(
        new OutageTolerantJWKSetSource<>(fetches, OUTAGE_TTL.toMillis(), null),
        CACHE_TTL.toMillis(), REFRESH_WAIT.toMillis(), null);
    this.clock = clock;
  }

  /**
   * @throws KeySourceException when there are no keys: none was ever fetched, or the last were
   *     fetched more than {@code OUTAGE_TTL} ago
   */
  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    long now = clock.millis();
    JWKSet cached = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, context);
    List<JWK> matches = selector.select(cached);
    if (!matches.isEmpty()) {
      return matches;
    }
    // Within the refetch interval FetchBound refuses, and the outage-tolerant source answers with
    // the keys it has: the kid stays unknown.
    return selector.select(
        source.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(cached), now, context));
  }

  /** When a fetch may be tried again; at least a second. */
  Duration retryAfter() {
    return fetches.retryAfter(clock.millis());
  }

  /** Lets a fetch through only {@code interval} after the previous one, and logs how it went. */
  private static final class FetchBound extends JWKSetSourceWrapper<SecurityContext> {
    private static final Logger log = LoggerFactory.getLogger(IssuerKeys.class);

    private final URI url;
    private final long intervalMillis;
    private boolean attempted; // guarded by this
    private long lastAttempt; // guarded by this

    FetchBound(JWKSetSource<SecurityContext> source, URI url, Duration interval) {
      super(source);
      this.url = url;
      this.intervalMillis = interval.toMillis();
    }

    @Override
    public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long now,
        SecurityContext context) throws KeySourceException {
      synchronized (this) {
        if (attempted && now - lastAttempt < intervalMillis) {
          // Unavailable, not RateLimitReached: the outage-tolerant source above answers with the
          // keys it has for this kind of failure.
          throw new JWKSetUnavailableException("the issuer's keys were fetched less than "
              + intervalMillis + " ms ago");
        }
        attempted = true;
        lastAttempt = now;
      }
      try {
        JWKSet keys = getSource().getJWKSet(refreshEvaluator, now, context);
        log.info("fetched {} OIDC signing key(s) from {}", keys.size(), url);
        return keys;
      } catch (KeySourceException e) {
        log.warn("cannot fetch the OIDC signing keys from {} (SERVO_OIDC_JWKS_URL): {}", url,
            e.getMessage());
        throw e;
      }
    }

    synchronized Duration retryAfter(long now) {
      long left = attempted ? lastAttempt + intervalMillis - now : 0;
      return Duration.ofMillis(Math.max(left, 1000));
    }
  }
}
