package io.servo.worker.http;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server's threads: a bounded pool, each request running its execution synchronously.
 * When the pool and its queue are full the request is not dropped: it runs on a small overflow
 * pool that answers 503 with {@code Retry-After} (and still serves {@code /health} and {@code
 * /ready}, so probes do not fail just because the worker is busy).
 */
final class RequestExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(RequestExecutor.class);
  private static final ThreadLocal<Boolean> OVERFLOW = ThreadLocal.withInitial(() -> false);
  private static final int OVERFLOW_THREADS = 2;
  private static final int OVERFLOW_QUEUE = 256;

  private final ThreadPoolExecutor pool;
  private final ThreadPoolExecutor overflow;

  RequestExecutor(int threads) {
    this.overflow = new ThreadPoolExecutor(OVERFLOW_THREADS, OVERFLOW_THREADS, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(OVERFLOW_QUEUE), threads("servo-worker-overflow-"),
        (task, executor) -> log.warn("worker overloaded: dropped a connection"));
    this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(threads), threads("servo-worker-http-"),
        (task, executor) -> overflow.execute(() -> {
          OVERFLOW.set(true);
          try {
            task.run();
          } finally {
            OVERFLOW.remove();
          }
        }));
  }

  /** True on a thread answering a request the pool had no room for. */
  static boolean isOverflow() {
    return OVERFLOW.get();
  }

  @Override
  public void execute(Runnable command) {
    pool.execute(command);
  }

  /** Lets running requests finish within {@code grace}, then interrupts them (their executions give their claims back). */
  void shutdown(Duration grace) {
    pool.shutdown();
    overflow.shutdown();
    try {
      if (!pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        pool.shutdownNow();
        pool.awaitTermination(5, TimeUnit.SECONDS);
      }
      overflow.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      pool.shutdownNow();
      Thread.currentThread().interrupt();
    }
    overflow.shutdownNow();
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
