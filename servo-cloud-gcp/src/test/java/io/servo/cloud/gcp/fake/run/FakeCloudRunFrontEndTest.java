package io.servo.cloud.gcp.fake.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.servo.cloud.gcp.fake.http.RecordingHttpEndpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeCloudRunFrontEndTest {
  static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
  static final String PARENT_ID = "b7ad6b7169203331";
  static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

  RecordingHttpEndpoint service;
  HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() {
    service = RecordingHttpEndpoint.start();
  }

  @AfterEach
  void stop() {
    service.close();
  }

  HttpResponse<String> post(FakeCloudRunFrontEnd frontEnd, String traceparent) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(frontEnd.url() + "/execute?attempt=2"))
        .header("Authorization", "Bearer header.payload.signature")
        .header("X-Servo-Signature", "v1=0011")
        .header("X-Servo-Timestamp", "1764067200")
        .header("X-CloudTasks-TaskName", "exec-1")
        .header("X-CloudTasks-TaskRetryCount", "3")
        .header("User-Agent", "Google-Cloud-Tasks")
        .header("Content-Type", "application/json")
        .header("tracestate", "servo=abc,other=1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3, 0, (byte) 0xff}));
    if (traceparent != null) {
      request.header("traceparent", traceparent);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rewritesTheParentIdAndKeepsEverythingElse() throws Exception {
    try (FakeCloudRunFrontEnd frontEnd = FakeCloudRunFrontEnd.start(service.url())) {
      HttpResponse<String> response = post(frontEnd, "00-" + TRACE_ID + "-" + PARENT_ID + "-01");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("X-Test-Reply")).contains("yes");
      assertThat(response.body()).isEqualTo("{\"echo\":5}");
      RecordingHttpEndpoint.Request seen = service.requests().get(0);
      assertThat(seen.method()).isEqualTo("POST");
      assertThat(seen.pathAndQuery()).isEqualTo("/execute?attempt=2");
      assertThat(seen.body()).containsExactly(1, 2, 3, 0, (byte) 0xff);
      assertThat(seen.header("Authorization")).isEqualTo("Bearer header.payload.signature");
      assertThat(seen.header("X-Servo-Signature")).isEqualTo("v1=0011");
      assertThat(seen.header("X-Servo-Timestamp")).isEqualTo("1764067200");
      assertThat(seen.header("X-CloudTasks-TaskName")).isEqualTo("exec-1");
      assertThat(seen.header("X-CloudTasks-TaskRetryCount")).isEqualTo("3");
      assertThat(seen.header("User-Agent")).isEqualTo("Google-Cloud-Tasks");
      assertThat(seen.header("Content-Type")).isEqualTo("application/json");
      assertThat(seen.header("tracestate")).isEqualTo("servo=abc,other=1");
      assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");

      Matcher m = TRACEPARENT.matcher(seen.header("traceparent"));
      assertThat(m.matches()).isTrue();
      assertThat(m.group(1)).isEqualTo(TRACE_ID);
      assertThat(m.group(2)).isNotEqualTo(PARENT_ID).isNotEqualTo("0000000000000000");
      assertThat(m.group(3)).isEqualTo("01");
      assertThat(seen.header("X-Cloud-Trace-Context"))
          .isEqualTo(TRACE_ID + "/" + Long.toUnsignedString(Long.parseUnsignedLong(m.group(2), 16)) + ";o=1");

      post(frontEnd, "00-" + TRACE_ID + "-" + PARENT_ID + "-00");
      String unsampled = service.requests().get(1).header("traceparent");
      assertThat(unsampled).startsWith("00-" + TRACE_ID + "-").endsWith("-00");
      assertThat(service.requests().get(1).header("X-Cloud-Trace-Context")).endsWith(";o=0");
    }
  }

  @Test
  void startsANewUnsampledTraceWhenNoneOrAnInvalidOneArrives() throws Exception {
    try (FakeCloudRunFrontEnd frontEnd = FakeCloudRunFrontEnd.start(service.url())) {
      post(frontEnd, null);
      post(frontEnd, "00-" + "0".repeat(32) + "-" + PARENT_ID + "-01");

      assertThat(service.requests()).allSatisfy(seen -> {
        Matcher m = TRACEPARENT.matcher(seen.header("traceparent"));
        assertThat(m.matches()).isTrue();
        assertThat(m.group(1)).isNotEqualTo("0".repeat(32));
        assertThat(m.group(3)).isEqualTo("00");
      });
    }
  }

  @Test
  void stripModeRemovesTraceHeadersOnly() throws Exception {
    try (FakeCloudRunFrontEnd frontEnd = FakeCloudRunFrontEnd.start(service.url(), TraceHeaderMode.STRIP)) {
      post(frontEnd, "00-" + TRACE_ID + "-" + PARENT_ID + "-01");

      RecordingHttpEndpoint.Request seen = service.requests().get(0);
      assertThat(seen.header("traceparent")).isNull();
      assertThat(seen.header("tracestate")).isNull();
      assertThat(seen.header("X-Cloud-Trace-Context")).isNull();
      assertThat(seen.header("Authorization")).isEqualTo("Bearer header.payload.signature");
      assertThat(seen.header("X-Servo-Signature")).isEqualTo("v1=0011");
      assertThat(seen.body()).containsExactly(1, 2, 3, 0, (byte) 0xff);
    }
  }

  @Test
  void relaysErrorStatuses() throws Exception {
    service.respondWith(429);
    try (FakeCloudRunFrontEnd frontEnd = FakeCloudRunFrontEnd.start(service.url())) {
      assertThat(post(frontEnd, null).statusCode()).isEqualTo(429);
    }
  }
}
