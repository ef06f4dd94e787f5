package io.servo.telemetry.keep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.servo.settings.SettingsException;
import io.servo.telemetry.config.TraceKeepConfig;
import io.servo.telemetry.config.TracingConfig;
import io.servo.telemetry.redaction.Redactor;
import io.servo.testing.logs.CapturedLogs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TraceKeepTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String REMOTE_PARENT = "00f067aa0ba902b7";

  /** A clock the test moves. */
  private static final class StepClock extends Clock {
    Instant now = Instant.parse("2026-12-07T12:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final InMemorySpanExporter exported = InMemorySpanExporter.create();
  private final StepClock clock = new StepClock();

  private TraceKeep keep(TraceKeepConfig config) {
    return TraceKeep.create(config, List.of(SimpleSpanProcessor.create(exported)),
        Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "svc"))),
        seededIds(), clock, "svc", Redactor.create(List.of()));
  }

  private static IdGenerator seededIds() {
    Random random = new Random(3);
    return new IdGenerator() {
      @Override
      public String generateSpanId() {
        return String.format("%016x", random.nextLong() | 1);
      }

      @Override
      public String generateTraceId() {
        return TRACE;
      }
    };
  }

  @Test
  void theSettingsDefaultToKeepingErrorsWithinBounds() {
    TraceKeepConfig keep = TracingConfig.from(Map.of()).keep();
    assertThat(keep.errors()).isTrue();
    assertThat(keep.slowerThan()).isEmpty();
    assertThat(keep.perMinute()).isEqualTo(60);
    assertThat(keep.bufferBytes()).isEqualTo(8L * 1024 * 1024);

    TraceKeepConfig slow = TracingConfig.from(Map.of("SERVO_TRACE_KEEP", "errors,slow",
        "SERVO_TRACE_KEEP_SLOWER_THAN", "2m", "SERVO_TRACE_KEEP_PER_MINUTE", "10")).keep();
    assertThat(slow.slowerThan()).contains(Duration.ofMinutes(2));
    assertThat(slow.perMinute()).isEqualTo(10);
    assertThat(TracingConfig.from(Map.of("SERVO_TRACE_KEEP", "none")).keep().enabled()).isFalse();
  }

  @Test
  void unusableSettingsAreAllNamedAtOnce() {
    assertThatThrownBy(() -> TracingConfig.from(Map.of("SERVO_TRACE_KEEP", "errors,sometimes",
        "SERVO_TRACE_KEEP_PER_MINUTE", "0", "SERVO_TRACE_KEEP_BUFFER_BYTES", "lots")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_TRACE_KEEP has invalid entry 'sometimes': expected errors, errors,slow or none")
        .hasMessageContaining("SERVO_TRACE_KEEP_PER_MINUTE")
        .hasMessageContaining("SERVO_TRACE_KEEP_BUFFER_BYTES");
    assertThatThrownBy(() -> TracingConfig.from(Map.of("SERVO_TRACE_KEEP", "errors,slow")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("SERVO_TRACE_KEEP_SLOWER_THAN is not set")
        .hasMessageContaining("SERVO_TRACE_KEEP_SLOWER_THAN=30s");
    assertThatThrownBy(() -> TracingConfig.from(Map.of("SERVO_TRACE_KEEP_SLOWER_THAN", "30s")))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("set SERVO_TRACE_KEEP=errors,slow");
  }

  @Test
  void failuresAreKeptAndSlowOnesOnlyAboveTheThreshold() {
    TraceKeep errorsOnly = keep(TraceKeepConfig.ERRORS);
    assertThat(errorsOnly.reason(true, Duration.ZERO)).isEqualTo("error");
    assertThat(errorsOnly.reason(false, Duration.ofHours(5))).isNull();

    TraceKeep slow = keep(new TraceKeepConfig(true, Optional.of(Duration.ofSeconds(30)), 60, 1 << 20));
    assertThat(slow.reason(false, Duration.ofSeconds(31))).isEqualTo("slow");
    assertThat(slow.reason(false, Duration.ofSeconds(30))).isNull();
    assertThat(slow.reason(true, Duration.ofSeconds(31))).as("an error is the reason first").isEqualTo("error");
    assertThat(keep(TraceKeepConfig.NONE).enabled()).isFalse();
  }

  @Test
  void theCapAllowsSoManyAMinuteAndCountsAndReportsTheRest() {
    TraceKeep keep = keep(TraceKeepConfig.ERRORS.withPerMinute(3));
    try (CapturedLogs logs = CapturedLogs.of(TraceKeep.class)) {
      assertThat(List.of(keep.admit(), keep.admit(), keep.admit(), keep.admit(), keep.admit()))
          .containsExactly(true, true, true, false, false);
      clock.now = clock.now.plusSeconds(20); // a third of a minute: one more
      assertThat(List.of(keep.admit(), keep.admit())).containsExactly(true, false);

      assertThat(keep.keptTraces()).isEqualTo(4);
      assertThat(keep.cappedTraces()).isEqualTo(3);
      assertThat(logs.textAt("WARN")).contains("Retroactive keep of svc left out 1 trace(s) since start: "
          + "1 over SERVO_TRACE_KEEP_PER_MINUTE=3");
      assertThat(logs.containing("Retroactive keep")).as("at most one report a minute").hasSize(1);
    }
  }

  @Test
  void theMemoryBudgetRefusesWhatDoesNotFit() {
    TraceKeep keep = keep(TraceKeepConfig.ERRORS.withBufferBytes(2048));
    assertThat(keep.reserve(1024)).isTrue();
    assertThat(keep.reserve(1024)).isTrue();
    assertThat(keep.reserve(1)).isFalse();
    keep.release(1024);
    assertThat(keep.reserve(1000)).isTrue();
    assertThat(keep.heldBytes()).isEqualTo(2024);
    assertThat(keep.overBudgetTraces()).isEqualTo(1);
  }

  @Test
  void aSkeletonBecomesSampledSpansWithTheirParentsAndWhyTheyWereKept() {
    TraceKeep keep = keep(TraceKeepConfig.ERRORS);
    TraceSkeleton skeleton = new TraceSkeleton(TRACE, REMOTE_PARENT, false);
    int server = skeleton.open("POST /execute", SpanKind.SERVER, null);
    int asset = skeleton.open("worker.execute_asset", SpanKind.INTERNAL, null);
    skeleton.statement(System.nanoTime(), detail("SELECT ok", false)); // succeeded: noted anyway here
    skeleton.close(asset, Attributes.of(AttributeKey.stringKey("servo.asset.name"), "divide"),
        StatusData.create(StatusCode.ERROR, "division by zero"), List.of());
    int handOver = skeleton.openUnder(server, "cloud_tasks.enqueue", SpanKind.PRODUCER, "1111111111111111");
    skeleton.close(handOver, Attributes.empty(), StatusData.unset(), List.of());
    skeleton.close(server, Attributes.empty(), StatusData.unset(), List.of());

    keep.export(skeleton.toSpans("error", keep.resource(), "io.servo.test", keep.ids()));

    List<SpanData> spans = exported.getFinishedSpanItems();
    assertThat(spans).extracting(SpanData::getName)
        .containsExactly("POST /execute", "worker.execute_asset", "SELECT ok", "cloud_tasks.enqueue");
    SpanData root = spans.get(0);
    assertThat(root.getParentSpanId()).isEqualTo(REMOTE_PARENT);
    assertThat(spans.get(1).getParentSpanId()).isEqualTo(root.getSpanId());
    assertThat(spans.get(2).getParentSpanId()).isEqualTo(spans.get(1).getSpanId());
    assertThat(spans.get(3).getSpanId()).isEqualTo("1111111111111111");
    assertThat(spans.get(3).getParentSpanId()).isEqualTo(root.getSpanId());
    assertThat(spans).allSatisfy(s -> {
      assertThat(s.getTraceId()).isEqualTo(TRACE);
      assertThat(s.getSpanContext().isSampled()).isTrue();
      assertThat(s.getAttributes().get(TraceKeep.KEPT)).isEqualTo("error");
      assertThat(s.getEndEpochNanos()).isGreaterThanOrEqualTo(s.getStartEpochNanos());
    });
    assertThat(spans.get(1).getStatus().getDescription()).isEqualTo("division by zero");
  }

  @Test
  void aWorkersPartSurvivesTheDatabaseRedactedAndIntact() {
    TraceKeep keep = keep(TraceKeepConfig.ERRORS);
    TraceSkeleton skeleton = new TraceSkeleton(TRACE, REMOTE_PARENT, false);
    int part = skeleton.open("worker.execute_asset", SpanKind.INTERNAL, null);
    skeleton.close(part, Attributes.builder().put("servo.asset.name", "notify").put("attempt", 2L)
            .put("ratio", 0.5).put("servo.asset.timed_out", true)
            .put("http.request.header.authorization", "Bearer abc.def.ghi").build(),
        StatusData.create(StatusCode.ERROR, "HTTP 500 from example.com"),
        List.of(EventData.create(1L, "exception", Attributes.of(AttributeKey.stringKey("exception.message"), "boom"))));
    List<KeptSpan> spans = skeleton.toSpans("error", keep.resource(), "io.servo.worker", keep.ids());

    List<KeptSpan> back = KeptSpanCodec.decode(keep.encodeRedacted(spans));

    assertThat(back).hasSize(1);
    KeptSpan span = back.get(0);
    assertThat(span.getSpanContext()).isEqualTo(spans.get(0).getSpanContext());
    assertThat(span.getParentSpanContext().getSpanId()).isEqualTo(REMOTE_PARENT);
    assertThat(span.getStartEpochNanos()).isEqualTo(spans.get(0).getStartEpochNanos());
    assertThat(span.getAttributes().get(AttributeKey.longKey("attempt"))).isEqualTo(2L);
    assertThat(span.getAttributes().get(AttributeKey.doubleKey("ratio"))).isEqualTo(0.5);
    assertThat(span.getAttributes().get(AttributeKey.booleanKey("servo.asset.timed_out"))).isTrue();
    assertThat(span.getAttributes().get(AttributeKey.stringKey("http.request.header.authorization")))
        .as("redacted before it is written").doesNotContain("abc.def.ghi");
    assertThat(span.getStatus()).isEqualTo(StatusData.create(StatusCode.ERROR, "HTTP 500 from example.com"));
    assertThat(span.getEvents()).extracting(EventData::getName).containsExactly("exception");
    assertThat(span.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("svc");
    assertThatThrownBy(() -> KeptSpanCodec.decode("{\"v\": 9}")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeptSpanCodec.decode("not json")).isInstanceOf(IllegalArgumentException.class);
  }

  private static TraceSkeleton.Detail detail(String name, boolean failed) {
    return new TraceSkeleton.Detail() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Attributes attributes() {
        return Attributes.empty();
      }

      @Override
      public StatusData status() {
        return failed ? StatusData.error() : StatusData.unset();
      }

      @Override
      public List<EventData> events(long endEpochNanos) {
        return List.of();
      }
    };
  }
}
