package io.servo.cli.e2e;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.util.Random;

/**
 * Trace ids from one seeded stream and span ids from another: the set of trace ids a service hands
 * out does not depend on how its threads interleave span ids.
 */
final class SeededIds implements IdGenerator {
  private final Random traceIds;
  private final Random spanIds;

  SeededIds(long seed) {
    traceIds = new Random(seed);
    spanIds = new Random(~seed);
  }

  @Override
  public String generateTraceId() {
    long high;
    long low;
    // Both halves from one turn: threads interleaving their draws would mix halves of two ids.
    synchronized (traceIds) {
      do {
        high = traceIds.nextLong();
        low = traceIds.nextLong();
      } while (high == 0 && low == 0);
    }
    return TraceId.fromLongs(high, low);
  }

  @Override
  public String generateSpanId() {
    long id;
    do {
      id = spanIds.nextLong();
    } while (id == 0);
    return SpanId.fromLong(id);
  }
}
