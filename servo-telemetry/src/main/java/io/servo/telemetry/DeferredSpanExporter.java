package io.servo.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exporter that is built on a thread of its own while the service starts, so start-up does not
 * wait for it: building the OTLP exporter sets up the JDK's HTTP client and its TLS context, a few
 * hundred milliseconds of class loading and key-store reading on a small Cloud Run instance, which
 * the first request would otherwise wait for.
 *
 * <p>Exports wait for the build, at most {@code buildWait}; if the build failed or is not done by
 * then, the export fails, so the batch processor moves on and its spans are counted as dropped with
 * the cause. Everything that can be wrong with the configuration is checked before (the endpoint is
 * set on the builder on the caller's thread), so a failed build is a broken installation, logged.
 */
final class DeferredSpanExporter implements SpanExporter {

  private static final Logger log = LoggerFactory.getLogger(ServoTelemetry.class);

  private final CompletableFuture<SpanExporter> built = new CompletableFuture<>();
  private final Duration buildWait;
  private final String name;

  private DeferredSpanExporter(String name, Duration buildWait) {
    this.name = name;
    this.buildWait = buildWait;
  }

  /** Starts building the exporter with {@code factory} on a daemon thread and returns at once. */
  static SpanExporter start(String name, Supplier<SpanExporter> factory, Duration buildWait) {
    DeferredSpanExporter exporter = new DeferredSpanExporter(name, buildWait);
    Thread builder = new Thread(() -> {
      try {
        exporter.built.complete(factory.get());
      } catch (Throwable e) {
        log.error("The {} trace exporter could not be set up; spans are dropped: {}", name, e.toString());
        exporter.built.completeExceptionally(e);
      }
    }, "servo-trace-exporter-setup");
    builder.setDaemon(true);
    builder.start();
    return exporter;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    SpanExporter delegate;
    try {
      delegate = built.get(buildWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      return CompletableResultCode.ofExceptionalFailure(e.getCause());
    } catch (TimeoutException e) {
      return CompletableResultCode.ofExceptionalFailure(new TimeoutException(
          "the " + name + " exporter was not set up within " + buildWait.toMillis() + " ms"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableResultCode.ofExceptionalFailure(e);
    }
    return delegate.export(spans);
  }

  @Override
  public CompletableResultCode flush() {
    SpanExporter delegate = built.getNow(null);
    return delegate == null ? CompletableResultCode.ofSuccess() : delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    try {
      return built.get(buildWait.toNanos(), TimeUnit.NANOSECONDS).shutdown();
    } catch (ExecutionException | TimeoutException e) {
      return CompletableResultCode.ofSuccess();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableResultCode.ofFailure();
    }
  }

  @Override
  public String toString() {
    SpanExporter delegate = built.getNow(null);
    return delegate == null ? "DeferredSpanExporter{" + name + ", being built}" : delegate.toString();
  }
}
