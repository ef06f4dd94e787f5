package io.servo.cli.server;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.servo.telemetry.view.RecentTraces;
import io.servo.telemetry.view.TraceWaterfall;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The recent traces of the services in this process ({@code demo}, {@code dev}), one in-memory
 * exporter per service, shown as one terminal waterfall per trace.
 */
public final class LocalTraces {
  private static final AttributeKey<String> TENANT = AttributeKey.stringKey("servo.tenant.id");
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

  /**
   * The part of a trace that belongs to {@code tenant}, as a waterfall. A trace id is chosen by
   * whoever starts the trace (an authenticated caller's {@code traceparent} is the parent of its
   * request), so one trace may hold several tenants' executions. A part is a span whose parent is
   * not in the trace and everything beneath it; it is shown only when it carries {@code
   * servo.tenant.id} and every one it carries is {@code tenant}.
   */
  public Optional<String> waterfall(String traceId, String tenant) {
    List<SpanData> spans = spans(traceId);
    Map<String, SpanData> byId = new HashMap<>();
    spans.forEach(s -> byId.put(s.getSpanId(), s));
    Map<String, String> rootOf = new HashMap<>();
    Map<String, Set<String>> tenantsOf = new HashMap<>();
    for (SpanData span : spans) {
      SpanData root = span;
      Set<String> seen = new HashSet<>();
      while (byId.containsKey(root.getParentSpanId()) && seen.add(root.getSpanId())) {
        root = byId.get(root.getParentSpanId());
      }
      rootOf.put(span.getSpanId(), root.getSpanId());
      Set<String> tenants = tenantsOf.computeIfAbsent(root.getSpanId(), id -> new HashSet<>());
      String spanTenant = span.getAttributes().get(TENANT);
      if (spanTenant != null) {
        tenants.add(spanTenant);
      }
    }
    List<SpanData> own = spans.stream()
        .filter(s -> tenantsOf.get(rootOf.get(s.getSpanId())).equals(Set.of(tenant)))
        .toList();
    return own.isEmpty() ? Optional.empty() : Optional.of(TraceWaterfall.render(own, WIDTH, DETAILS));
  }
}
