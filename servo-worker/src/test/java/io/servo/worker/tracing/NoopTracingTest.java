package io.servo.worker.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.servo.telemetry.propagation.ServoTraceContextPropagator;
import io.servo.worker.assets.RunnerInstrumentation;
import io.servo.worker.execution.ExecutionInterceptor;
import io.servo.worker.http.DeliveryObserver;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class NoopTracingTest {
  @Test
  void aNoopOpenTelemetryInstallsNothingOnTheRequestPath() {
    for (OpenTelemetry otel : new OpenTelemetry[] {OpenTelemetry.noop(),
        OpenTelemetry.propagating(ContextPropagators.create(ServoTraceContextPropagator.getInstance()))}) {
      WorkerTracing tracing = WorkerTracing.create(otel, Clock.systemUTC());

      assertThat(tracing.enabled()).isFalse();
      assertThat(tracing.deliveries()).isSameAs(DeliveryObserver.NONE);
      assertThat(tracing.interceptor()).isSameAs(ExecutionInterceptor.NONE);
      assertThat(tracing.runners()).isSameAs(RunnerInstrumentation.NONE);
    }
  }
}
