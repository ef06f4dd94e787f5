package io.servo.testing.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class OtlpReceiverTest {
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Four spans in two resources, the first with two scopes; a resource attribute and a scope name around them. */
  private static final ExportTraceServiceRequest REQUEST = ExportTraceServiceRequest.newBuilder()
      .addResourceSpans(ResourceSpans.newBuilder()
          .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
              .setValue(AnyValue.newBuilder().setStringValue("servo-worker"))))
          .addScopeSpans(ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder().setName("servo"))
              .addSpans(span("a")).addSpans(span("b")))
          .addScopeSpans(ScopeSpans.newBuilder().addSpans(span("c"))))
      .addResourceSpans(ResourceSpans.newBuilder()
          .addScopeSpans(ScopeSpans.newBuilder().addSpans(span("d"))))
      .build();

  @Test
  void countsTheSpansOfEveryScopeOfEveryResourcePerRoute() throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      ExportTraceServiceRequest request = REQUEST;

      assertThat(post(receiver.tracesEndpoint("servo"), request.toByteArray(), false)).isEqualTo(200);
      assertThat(post(receiver.tracesEndpoint("agent"), gzip(request.toByteArray()), true)).isEqualTo(200);

      assertThat(receiver.spans("servo")).isEqualTo(4);
      assertThat(receiver.spans("agent")).isEqualTo(4);
      assertThat(receiver.requests("servo")).isEqualTo(1);
      assertThat(receiver.spans()).extracting(Span::getName).containsExactly("a", "b", "c", "d", "a", "b", "c", "d");
      assertThat(receiver.received(TRACE_ID)).isTrue();
      assertThat(receiver.arrivalOf(TRACE_ID, "c")).isPresent();
      assertThat(receiver.arrivalOf(TRACE_ID, "e")).isEmpty();
      assertThat(receiver.resourceAttributes()).containsEntry("service.name", "servo-worker");
    }
  }

  @Test
  void aCountingReceiverCountsTheSameSpansWithoutKeepingThem() throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.counting()) {
      assertThat(post(receiver.tracesEndpoint("servo"), REQUEST.toByteArray(), false)).isEqualTo(200);
      assertThat(post(receiver.tracesEndpoint("agent"), gzip(REQUEST.toByteArray()), true)).isEqualTo(200);
      assertThat(post(receiver.tracesEndpoint("other"), new byte[] {0x0a, 0x7f}, false)).isEqualTo(400);

      assertThat(receiver.spans("servo")).isEqualTo(4);
      assertThat(receiver.spans("agent")).isEqualTo(4);
      assertThat(receiver.spans("other")).isZero();
      assertThat(receiver.exports()).isEmpty();
    }
  }

  @Test
  void somethingElseIsRefusedAndNotCounted() throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.start()) {
      assertThat(post(receiver.tracesEndpoint("servo"), new byte[] {0x0a, 0x7f}, false)).isEqualTo(400);

      assertThat(receiver.spans("servo")).isZero();
      assertThat(receiver.exports()).isEmpty();
    }
  }

  @Test
  void aRejectingReceiverAnswersItsStatusAndKeepsNothing() throws Exception {
    try (OtlpReceiver receiver = OtlpReceiver.rejecting(503, new byte[0])) {
      byte[] request = ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span("a"))))
          .build().toByteArray();

      assertThat(post(receiver.endpoint() + "/v1/traces", request, false)).isEqualTo(503);
      assertThat(receiver.requests()).isEqualTo(1);
      assertThat(receiver.exports()).isEmpty();
    }
  }

  private static Span span(String name) {
    return Span.newBuilder().setName(name).setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(TRACE_ID))).build();
  }

  private static int post(String url, byte[] body, boolean gzip) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (gzip) {
      request.header("Content-Encoding", "gzip");
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static byte[] gzip(byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
      zip.write(body);
    }
    return out.toByteArray();
  }
}
