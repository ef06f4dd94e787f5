package io.servo.orchestrator.api;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP server's executor: a fixed pool with a bounded queue. When both are full the exchange
 * runs on the server's dispatcher thread marked as overloaded, and {@link ApiHandler} answers it
 * at once with 503 and Retry-After instead of letting the connection hang.
 */
public final class BoundedRequestExecutor implements Executor, AutoCloseable {
  private static final ThreadLocal<Boolean> OVERLOADED = new ThreadLocal<>();

  private final ThreadPoolExecutor pool;
  /** Exchanges handed to this executor and not finished yet, queued ones included. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object idle = new Object();

  private BoundedRequestExecutor(ThreadPoolExecutor pool) {
    this.pool = pool;
  }

  /**
   * @param threads requests handled at once
   * @param queued requests waiting beyond those before new ones get 503
   */
  public static BoundedRequestExecutor create(int threads, int queued) {
    if (threads < 1 || queued < 1) {
      throw new IllegalArgumentException("threads and queued must be at least 1, were " + threads + " and " + queued);
    }
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queued),
            r -> {
              Thread t = new Thread(r, "servo-api-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return new BoundedRequestExecutor(pool);
  }

  static boolean overloaded() {
    return Boolean.TRUE.equals(OVERLOADED.get());
  }

  @Override
  public void execute(Runnable exchange) {
    inFlight.incrementAndGet();
    Runnable counted = () -> {
      try {
        exchange.run();
      } finally {
        if (inFlight.decrementAndGet() == 0) {
          synchronized (idle) {
            idle.notifyAll();
          }
        }
      }
    };
    try {
      pool.execute(counted);
    } catch (RejectedExecutionException e) {
      OVERLOADED.set(Boolean.TRUE);
      try {
        counted.run();
      } finally {
        OVERLOADED.remove();
      }
    }
  }

  /** Exchanges accepted and not finished, including those waiting for a thread. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Waits until no exchange is in flight, at most {@code grace}.
   *
   * @return whether it became idle in time
   */
  public boolean awaitIdle(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    synchronized (idle) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(idle, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return inFlight.get() == 0;
        }
      }
      return true;
    }
  }

  @Override
  public void close() {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.shutdownNow();
    }
  }
}
