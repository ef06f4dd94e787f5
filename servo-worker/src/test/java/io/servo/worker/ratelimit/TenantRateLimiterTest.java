package io.servo.worker.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servo.worker.support.MutableClock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TenantRateLimiterTest {
  private final MutableClock clock = new MutableClock();

  {
    clock.freeze();
  }

  @Test
  void allowsABurstOfTwiceTheRateThenRefillsAtTheRate() {
    TenantRateLimiter limiter = TenantRateLimiter.create(2, clock);
    for (int i = 0; i < 4; i++) {
      assertThat(limiter.tryAcquire("acme")).as("start %d", i).isEmpty();
    }
    assertThat(limiter.tryAcquire("acme")).contains(Duration.ofSeconds(1));
    clock.advance(Duration.ofMillis(500));
    assertThat(limiter.tryAcquire("acme")).isEmpty();
    assertThat(limiter.tryAcquire("acme")).isPresent();
  }

  @Test
  void retryAfterIsTheWholeSecondsUntilAStartIsAllowed() {
    TenantRateLimiter limiter = TenantRateLimiter.create(0.1, clock);
    assertThat(limiter.tryAcquire("slow")).isEmpty();
    assertThat(limiter.tryAcquire("slow")).contains(Duration.ofSeconds(10));
    clock.advance(Duration.ofSeconds(4));
    assertThat(limiter.tryAcquire("slow")).contains(Duration.ofSeconds(6));
    clock.advance(Duration.ofSeconds(6));
    assertThat(limiter.tryAcquire("slow")).isEmpty();
  }

  @Test
  void tenantsAreIndependentAndTheirNumberIsBounded() {
    TenantRateLimiter limiter = TenantRateLimiter.create(1, 3, clock);
    limiter.tryAcquire("a");
    limiter.tryAcquire("a");
    assertThat(limiter.tryAcquire("a")).isPresent();
    assertThat(limiter.tryAcquire("b")).isEmpty();
    for (int i = 0; i < 100; i++) {
      limiter.tryAcquire("tenant-" + i);
    }
    assertThat(limiter.trackedTenants()).isEqualTo(3);
  }

  @Test
  void aClockStepBackDoesNotDrainOrRefill() {
    TenantRateLimiter limiter = TenantRateLimiter.create(1, clock);
    limiter.tryAcquire("a");
    limiter.tryAcquire("a");
    clock.advance(Duration.ofSeconds(-30));
    Optional<Duration> wait = limiter.tryAcquire("a");
    assertThat(wait).isPresent();
  }

  @Test
  void theRateMustBePositive() {
    assertThatThrownBy(() -> TenantRateLimiter.create(0, clock))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TenantRateLimiter.create(Double.NaN, clock))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
