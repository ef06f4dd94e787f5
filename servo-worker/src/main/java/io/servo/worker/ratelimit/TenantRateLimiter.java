package io.servo.worker.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Executions started per second per tenant ({@code SERVO_RATE_LIMIT_PER_TENANT}): a token bucket per
 * tenant holding up to twice the rate (at least one), refilled continuously. Only the most recently
 * seen {@value #MAX_TENANTS} tenants are tracked; a tenant evicted for lack of traffic starts again
 * with a full bucket, which is what it would have by now anyway unless the worker sees more than
 * that many tenants within one refill period.
 */
public final class TenantRateLimiter {
  public static final int MAX_TENANTS = 10_000;

  private final double perSecond;
  private final double burst;
  private final Clock clock;
  private final Map<String, Bucket> buckets; // guarded by itself

  private static final class Bucket {
    double tokens;
    long updatedMillis;

    Bucket(double tokens, long updatedMillis) {
      this.tokens = tokens;
      this.updatedMillis = updatedMillis;
    }
  }

  private TenantRateLimiter(double perSecond, int maxTenants, Clock clock) {
    this.perSecond = perSecond;
    this.burst = Math.max(1.0, 2 * perSecond);
    this.clock = clock;
    this.buckets = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > maxTenants;
      }
    };
  }

  /**
   * @param perSecond executions a tenant may start per second, sustained; bursts of twice that
   * @throws IllegalArgumentException unless {@code perSecond} is positive and finite
   */
  public static TenantRateLimiter create(double perSecond, Clock clock) {
    return create(perSecond, MAX_TENANTS, clock);
  }

  static TenantRateLimiter create(double perSecond, int maxTenants, Clock clock) {
    if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("perSecond must be a positive number, got " + perSecond);
    }
    if (maxTenants < 1) {
      throw new IllegalArgumentException("maxTenants must be at least 1, got " + maxTenants);
    }
    return new TenantRateLimiter(perSecond, maxTenants, Objects.requireNonNull(clock, "clock"));
  }

  /**
   * Takes one execution start from {@code tenant}'s bucket.
   *
   * @return empty when the execution may start, else how long until it may (at least one second)
   */
  public Optional<Duration> tryAcquire(String tenant) {
    Objects.requireNonNull(tenant, "tenant");
    long now = clock.millis();
    double missing;
    synchronized (buckets) {
      Bucket bucket = buckets.computeIfAbsent(tenant, t -> new Bucket(burst, now));
      // A clock that steps back refills nothing rather than draining the bucket.
      long elapsed = Math.max(0, now - bucket.updatedMillis);
      bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perSecond / 1000.0);
      bucket.updatedMillis = Math.max(now, bucket.updatedMillis);
      if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return Optional.empty();
      }
      missing = 1.0 - bucket.tokens;
    }
    long seconds = (long) Math.ceil(missing / perSecond);
    return Optional.of(Duration.ofSeconds(Math.max(1, seconds)));
  }

  /** Tenants currently tracked (at most {@value #MAX_TENANTS}). */
  public int trackedTenants() {
    synchronized (buckets) {
      return buckets.size();
    }
  }

  public double perSecond() {
    return perSecond;
  }
}
