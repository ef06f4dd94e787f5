package io.servo.worker.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.instrumentation.javahttpclient.JavaHttpClientTelemetry;
import io.servo.telemetry.TraceSampling;
import io.servo.telemetry.jdbc.JdbcTracing;
import io.servo.telemetry.keep.TraceSkeleton;
import io.servo.telemetry.propagation.EnvironmentCarrier;
import io.servo.worker.assets.RunnerInstrumentation;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What runs beneath an asset span: JDBC CLIENT spans of {@code sql} assets (sanitized statements),
 * an HTTP CLIENT span per {@code http} request with the context injected in its {@code traceparent}
 * (in an unsampled trace only the headers, added while the request is built: {@link
 * SampledOnlyHttpClient}), and {@code TRACEPARENT}/{@code TRACESTATE} in a {@code command}'s
 * environment.
 */
final class RunnerSpans implements RunnerInstrumentation {
  private static final TextMapSetter<HttpRequest.Builder> HEADERS = HttpRequest.Builder::setHeader;

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
    return new SampledOnlyHttpClient(client, traced);
  }

  /**
   * In an unsampled trace only: the current context's headers, which {@link SampledOnlyHttpClient}
   * then sends without a span. In a sampled trace the instrumented client injects its CLIENT span.
   */
  @Override
  public void httpHeaders(HttpRequest.Builder request) {
    Context context = Context.current();
    if (TraceSampling.isUnsampledTrace(context)) {
      propagator.inject(context, request, HEADERS);
    }
  }

  /**
   * In an unsampled trace whose skeleton is noted for retroactive keep: the failed statement, so a
   * kept trace shows it beneath its asset as a sampled one does (there the JDBC span records it).
   */
  @Override
  public void statementFailed(Connection connection, String sql, long startNanoTime, String reason,
      SQLException error) {
    TraceSkeleton skeleton = TraceSkeleton.current();
    if (skeleton == null) {
      return;
    }
    String url;
    try {
      url = connection.getMetaData().getURL();
    } catch (SQLException | RuntimeException e) {
      url = null;
    }
    skeleton.statement(startNanoTime, JdbcTracing.failedStatement(url, sql, reason, error));
  }

  /** The asset span's context (the current one); any inherited variables are replaced. */
  @Override
  public void childEnvironment(Map<String, String> environment) {
    EnvironmentCarrier.inject(propagator, Context.current(), environment);
  }
}
