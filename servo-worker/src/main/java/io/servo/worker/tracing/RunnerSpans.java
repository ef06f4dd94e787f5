package io.servo.worker.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.javahttpclient.JavaHttpClientTelemetry;
import io.servo.telemetry.jdbc.JdbcTracing;
import io.servo.telemetry.propagation.EnvironmentCarrier;
import io.servo.worker.assets.RunnerInstrumentation;
import java.net.http.HttpClient;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What runs beneath an asset span: JDBC CLIENT spans of {@code sql} assets (sanitized statements),
 * an HTTP CLIENT span per {@code http} request with the context injected in its {@code traceparent}
 * (in an unsampled trace only the headers: {@link SampledOnlyHttpClient}), and {@code
 * TRACEPARENT}/{@code TRACESTATE} in a {@code command}'s environment.
 */
final class RunnerSpans implements RunnerInstrumentation {
  private final OpenTelemetry openTelemetry;
  private final TextMapPropagator propagator;

  RunnerSpans(OpenTelemetry openTelemetry) {
    this.openTelemetry = openTelemetry;
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  @Override
  public DataSource warehouse(DataSource pool) {
    return JdbcTracing.wrapDataSource(openTelemetry, pool);
  }

  @Override
  public HttpClient httpClient(HttpClient client) {
    HttpClient traced = JavaHttpClientTelemetry.builder(openTelemetry)
        .addAttributesExtractor(new AssetUrlAttributes())
        .build()
        .newHttpClient(client);
    return new SampledOnlyHttpClient(client, traced, propagator);
  }

  /** The asset span's context (the current one); any inherited variables are replaced. */
  @Override
  public void childEnvironment(Map<String, String> environment) {
    EnvironmentCarrier.inject(propagator, Context.current(), environment);
  }
}
