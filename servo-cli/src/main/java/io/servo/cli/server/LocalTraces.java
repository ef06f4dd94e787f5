package io.servo.cli.server;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.view.RecentTraces;
import io.servo.telemetry.view.TraceWaterfall;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The recent traces of the services in this process ({@code demo}, {@code dev}), one in-memory
 * exporter per service, shown as one terminal waterfall per trace.
 */
public final class LocalTraces {
  private static final int WIDTH = 120;
  /** Which asset an asset span ran, shown after its name. */
  private static final List<AttributeKey<String>> DETAILS = List.of(AttributeKey.stringKey("servo.asset.name"));
  private final List<RecentTraces> services = new ArrayList<>();

  /** A new in-memory exporter for one service's SDK. */
  public RecentTraces newExporter() {
    RecentTraces exporter = RecentTraces.create();
    services.add(exporter);
    return exporter;
  }

  public List<SpanData> spans(String traceId) {
    List<SpanData> spans = new ArrayList<>();
    services.forEach(s -> spans.addAll(s.trace(traceId)));
    return spans;
  }

  public Optional<String> waterfall(String traceId) {
    List<SpanData> spans = spans(traceId);
    return spans.isEmpty() ? Optional.empty() : Optional.of(TraceWaterfall.render(spans, WIDTH, DETAILS));
  }
}
