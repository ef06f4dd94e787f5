package io.servo.runtime.api;

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
    try {
      pool.execute(exchange);
    } catch (RejectedExecutionException e) {
      OVERLOADED.set(Boolean.TRUE);
      try {
        exchange.run();
      } finally {
        OVERLOADED.remove();
      }
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
