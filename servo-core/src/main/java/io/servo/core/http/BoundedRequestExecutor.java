package io.servo.core.http;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP server's executor: a fixed pool with a bounded queue, counting the exchanges in flight.
 * No exchange is ever dropped, so no connection hangs when the service is saturated:
 *
 * <ul>
 *   <li>when the pool and its queue are full, the exchange runs on a small overflow pool marked
 *       {@linkplain Load#OVERLOADED overloaded}: routes {@linkplain Route#evenWhenOverloaded()
 *       served when overloaded} (probes) are served, the others answered 503 at once;
 *   <li>when the overflow pool is full too, it runs on the server's dispatcher thread marked
 *       {@linkplain Load#SATURATED saturated} and is answered 503 at once, whatever its route (a
 *       probe may query a database, which the dispatcher must not wait for).
 * </ul>
 */
final class BoundedRequestExecutor implements Executor, AutoCloseable {
  /** How an exchange is being run. */
  enum Load { NORMAL, OVERLOADED, SATURATED }

  private static final ThreadLocal<Load> LOAD = ThreadLocal.withInitial(() -> Load.NORMAL);
  private static final int OVERFLOW_THREADS = 2;
  private static final int OVERFLOW_QUEUE = 64;
  /** How long close() waits for the threads after interrupting what outlived the grace. */
  private static final Duration AFTER_INTERRUPT = Duration.ofSeconds(5);

  private final ThreadPoolExecutor pool;
  private final ThreadPoolExecutor overflow;
  /** Exchanges handed to this executor and not finished yet, queued ones included. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object idle = new Object();

  /**
   * @param threads requests handled at once
   * @param queued requests waiting beyond those before new ones are answered 503
   * @param threadPrefix names the threads ({@code prefix1}, {@code prefix2}, …)
   */
  BoundedRequestExecutor(int threads, int queued, String threadPrefix) {
    if (threads < 1 || queued < 1) {
      throw new IllegalArgumentException("threads and queued must be at least 1, were " + threads + " and " + queued);
    }
    this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queued), threads(threadPrefix), new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    this.overflow = new ThreadPoolExecutor(OVERFLOW_THREADS, OVERFLOW_THREADS, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(OVERFLOW_QUEUE), threads(threadPrefix + "overflow-"),
        new ThreadPoolExecutor.AbortPolicy());
    overflow.allowCoreThreadTimeOut(true);
  }

  /** How the exchange on the current thread is being run. */
  static Load load() {
    return LOAD.get();
  }

  @Override
  public void execute(Runnable exchange) {
    inFlight.incrementAndGet();
    try {
      pool.execute(counted(exchange, Load.NORMAL));
    } catch (RejectedExecutionException full) {
      try {
        overflow.execute(counted(exchange, Load.OVERLOADED));
      } catch (RejectedExecutionException alsoFull) {
        counted(exchange, Load.SATURATED).run();
      }
    }
  }

  private Runnable counted(Runnable exchange, Load load) {
    return () -> {
      LOAD.set(load);
      try {
        exchange.run();
      } finally {
        LOAD.remove();
        if (inFlight.decrementAndGet() == 0) {
          synchronized (idle) {
            idle.notifyAll();
          }
        }
      }
    };
  }

  /** Exchanges accepted and not finished, including those waiting for a thread. */
  int inFlight() {
    return inFlight.get();
  }

  /**
   * Waits until no exchange is in flight, at most {@code grace}.
   *
   * @return whether it became idle in time
   */
  boolean awaitIdle(Duration grace) {
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

  /** Interrupts what still runs (call after {@link #awaitIdle}) and waits a bounded time for the threads. */
  @Override
  public void close() {
    pool.shutdownNow();
    overflow.shutdownNow();
    try {
      pool.awaitTermination(AFTER_INTERRUPT.toMillis(), TimeUnit.MILLISECONDS);
      overflow.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
