package io.servo.telemetry.jdbc;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.servo.telemetry.keep.TraceSkeleton;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A statement run in an unsampled trace whose {@link TraceSkeleton} is being noted: it stands in
 * for the span, times the call and, when it fails (or when the skeleton notes every statement),
 * notes it in the skeleton. Its name and attributes are worked out only if the trace is kept.
 */
final class SkeletonStatement implements Span, TraceSkeleton.Detail {
  private final TraceSkeleton skeleton;
  private final Supplier<StatementSpans.Shape> shape;
  private final long startNanoTime = System.nanoTime();
  private Throwable error;
  private StatementSpans.Shape resolved;

  SkeletonStatement(TraceSkeleton skeleton, Supplier<StatementSpans.Shape> shape) {
    this.skeleton = skeleton;
    this.shape = shape;
  }

  @Override
  public <T> Span setAttribute(AttributeKey<T> key, T value) {
    return this;
  }

  @Override
  public Span addEvent(String name, Attributes attributes) {
    return this;
  }

  @Override
  public Span addEvent(String name, Attributes attributes, long timestamp, TimeUnit unit) {
    return this;
  }

  @Override
  public Span setStatus(StatusCode statusCode, String description) {
    return this;
  }

  @Override
  public Span recordException(Throwable exception, Attributes additionalAttributes) {
    error = exception;
    return this;
  }

  @Override
  public Span updateName(String name) {
    return this;
  }

  @Override
  public void end() {
    if (error != null || skeleton.notesEveryStatement()) {
      skeleton.statement(startNanoTime, this);
    }
  }

  @Override
  public void end(long timestamp, TimeUnit unit) {
    end();
  }

  @Override
  public SpanContext getSpanContext() {
    return SpanContext.getInvalid();
  }

  @Override
  public boolean isRecording() {
    return false;
  }

  private StatementSpans.Shape shape() {
    if (resolved == null) {
      resolved = shape.get();
    }
    return resolved;
  }

  @Override
  public String name() {
    return shape().name();
  }

  @Override
  public Attributes attributes() {
    return shape().attributes();
  }

  @Override
  public StatusData status() {
    return error == null ? StatusData.unset() : StatementFailure.of(error).status(false);
  }

  @Override
  public List<EventData> events(long endEpochNanos) {
    return error == null ? List.of() : StatementFailure.of(error).events(endEpochNanos);
  }
}
