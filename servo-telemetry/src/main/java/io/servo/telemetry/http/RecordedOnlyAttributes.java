package io.servo.telemetry.http;

import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import java.util.Objects;

/**
 * Runs an attributes extractor only for a span that records, once the span has ended: its start
 * attributes are put with its end attributes, which the exported span cannot tell apart.
 *
 * <p>Why: the {@code Instrumenter} extracts start attributes before the sampler decides, because a
 * sampler may read them. A service's root SERVER span at 1% sampling is thus built in full 99 times in
 * 100 for nothing: the HTTP semantic-convention extractor looks up half a dozen request headers (the
 * JDK's {@code Headers} allocates a normalized copy of each name), splits the host and client
 * addresses and formats the method and route (servo-bench, {@code --jfr} of configuration (b)). No
 * sampler Servo configures reads attributes ({@code OTEL_TRACES_SAMPLER} chooses among the SDK's
 * ratio and constant samplers), so nothing decides differently.
 */
public final class RecordedOnlyAttributes<R, S> implements AttributesExtractor<R, S> {
  private final AttributesExtractor<R, S> delegate;

  private RecordedOnlyAttributes(AttributesExtractor<R, S> delegate) {
    this.delegate = delegate;
  }

  /** {@code delegate}, run at the end of recording spans only. */
  public static <R, S> AttributesExtractor<R, S> of(AttributesExtractor<R, S> delegate) {
    return new RecordedOnlyAttributes<>(Objects.requireNonNull(delegate, "delegate"));
  }

  @Override
  public void onStart(AttributesBuilder attributes, Context parentContext, R request) {}

  @Override
  public void onEnd(AttributesBuilder attributes, Context context, R request, S response, Throwable error) {
    if (!Span.fromContext(context).isRecording()) {
      return;
    }
    delegate.onStart(attributes, context, request);
    delegate.onEnd(attributes, context, request, response, error);
  }
}
