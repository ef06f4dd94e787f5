package io.servo.worker.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** The system clock plus an offset a test can move forward, shared by the store and the worker. */
public final class MutableClock extends Clock {
  private volatile Duration offset = Duration.ZERO;
  private volatile Instant frozenAt;

  public void advance(Duration by) {
    offset = offset.plus(by);
  }

  /** Stops the clock where it is; {@link #advance} still moves it. */
  public void freeze() {
    frozenAt = Instant.now();
  }

  @Override
  public Instant instant() {
    Instant frozen = frozenAt;
    return (frozen != null ? frozen : Instant.now()).plus(offset);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}
