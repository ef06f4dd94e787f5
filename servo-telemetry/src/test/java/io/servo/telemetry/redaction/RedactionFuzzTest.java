package io.servo.telemetry.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Random spans with secrets planted in every field redaction covers: none may reach the exporter,
 * and ordinary values must arrive unchanged.
 */
class RedactionFuzzTest {

  private static final long SEED = 20261125L;
  private static final int SPANS = 400;

  private final Random random = new Random(SEED);
  private final List<String> planted = new ArrayList<>();
  private final List<String> ordinary = new ArrayList<>();

  @Test
  void noPlantedSecretReachesTheExporterAndOrdinaryValuesSurvive() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    RedactingSpanExporter exporter = RedactingSpanExporter.create(memory,
        Redactor.create(List.of("customer_email")));
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < SPANS; i++) {
      spans.add(randomSpan());
    }

    exporter.export(spans);

    List<SpanData> exported = memory.getFinishedSpanItems();
    assertThat(exported).hasSize(SPANS);
    String everything = dump(exported);
    for (String secret : planted) {
      assertThat(everything).as("seed %s", SEED).doesNotContain(secret);
    }
    for (String value : ordinary) {
      assertThat(everything).as("seed %s", SEED).contains(value);
    }
    for (int i = 0; i < SPANS; i++) {
      SpanData before = spans.get(i);
      SpanData after = exported.get(i);
      assertThat(after.getTotalAttributeCount()).isEqualTo(before.getTotalAttributeCount());
      assertThat(after.getTotalRecordedEvents()).isEqualTo(before.getTotalRecordedEvents());
      assertThat(after.getTotalRecordedLinks()).isEqualTo(before.getTotalRecordedLinks());
      assertThat(after.getSpanContext()).isEqualTo(before.getSpanContext());
      for (int e = 0; e < after.getEvents().size(); e++) {
        assertThat(after.getEvents().get(e).getTotalAttributeCount())
            .isEqualTo(before.getEvents().get(e).getTotalAttributeCount());
      }
    }
  }

  @Test
  void spansWithoutSecretsArePassedOnAsTheSameObjects() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    RedactingSpanExporter exporter = RedactingSpanExporter.create(memory, Redactor.defaults());
    SpanData clean = TestSpanData.builder()
        .setName("worker.execute_asset").setKind(SpanKind.INTERNAL)
        .setSpanContext(context()).setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setStatus(StatusData.ok())
        .setAttributes(Attributes.of(AttributeKey.stringKey("servo.asset.name"), "raw_orders"))
        .setTotalAttributeCount(1)
        .build();

    exporter.export(List.of(clean));

    assertThat(memory.getFinishedSpanItems()).singleElement().isSameAs(clean);
  }

  private SpanData randomSpan() {
    Attributes attributes = randomAttributes(true);
    List<EventData> events = new ArrayList<>();
    int eventCount = random.nextInt(3);
    for (int i = 0; i < eventCount; i++) {
      Attributes eventAttributes = Attributes.builder().putAll(randomAttributes(false))
          .put("exception.message", text())
          .put("exception.stacktrace", "java.lang.IllegalStateException: " + text()
              + "\n\tat io.servo.X.run(X.java:" + random.nextInt(500) + ")")
          .build();
      events.add(EventData.create(i, random.nextBoolean() ? "exception" : text(),
          eventAttributes, eventAttributes.size() + random.nextInt(3)));
    }
    List<LinkData> links = new ArrayList<>();
    if (random.nextBoolean()) {
      Attributes linkAttributes = randomAttributes(false);
      links.add(LinkData.create(context(), linkAttributes, linkAttributes.size() + 1));
    }
    Resource resource = Resource.create(Attributes.builder()
        .put("service.name", "servo-worker")
        .put("deployment.note", text())
        .put(randomSensitiveKey(), secret())
        .build());
    return TestSpanData.builder()
        .setName(text())
        .setKind(SpanKind.values()[random.nextInt(SpanKind.values().length)])
        .setSpanContext(context())
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setAttributes(attributes)
        .setTotalAttributeCount(attributes.size() + random.nextInt(5))
        .setEvents(events).setTotalRecordedEvents(events.size() + random.nextInt(2))
        .setLinks(links).setTotalRecordedLinks(links.size() + random.nextInt(2))
        .setStatus(StatusData.create(StatusCode.ERROR, text()))
        .setResource(resource)
        .setInstrumentationScopeInfo(InstrumentationScopeInfo.create("fuzz"))
        .build();
  }

  private Attributes randomAttributes(boolean withArrays) {
    AttributesBuilder builder = Attributes.builder();
    int count = 1 + random.nextInt(5);
    for (int i = 0; i < count; i++) {
      builder.put("plain." + i + "." + random.nextInt(1000), text());
    }
    builder.put(randomSensitiveKey(), secret());
    if (withArrays) {
      builder.put(AttributeKey.stringArrayKey("plain.list"), List.of(text(), text()));
    }
    return builder.build();
  }

  private String randomSensitiveKey() {
    String[] keys = {"password", "X-Api-Key", "http.request.header.authorization", "user.session",
        "db.Secret", "refresh_token", "hmac.key", "oidc.assertion", "app.customer_email",
        "request.signature", "bearer", "credential.file", "my.jwt", "cookie"};
    return keys[random.nextInt(keys.length)] + (random.nextBoolean() ? "" : "." + random.nextInt(9));
  }

  /** A string mixing ordinary words, an ordinary value we expect to survive, and maybe a secret. */
  private String text() {
    StringBuilder s = new StringBuilder();
    s.append(word()).append(' ');
    String value = ordinaryValue();
    ordinary.add(value);
    s.append(value);
    if (random.nextInt(3) > 0) {
      s.append(' ').append(secretShaped());
    }
    s.append(' ').append(word());
    return s.toString();
  }

  private String word() {
    String[] words = {"asset", "failed", "running", "SELECT * FROM t WHERE id = ?", "ok", "retry"};
    return words[random.nextInt(words.length)];
  }

  private String ordinaryValue() {
    switch (random.nextInt(6)) {
      case 0: return UUID.randomUUID().toString();
      case 1: return "https://host" + random.nextInt(99) + ".example.com/v1/x";
      case 2: return "/srv/servo/" + random.nextInt(9999) + "/out.csv";
      case 3: return String.format("%032x", random.nextLong() & Long.MAX_VALUE);
      case 4: return "db" + random.nextInt(9) + ".internal";
      default: return "execution-" + random.nextInt(100000);
    }
  }

  private String secretShaped() {
    String secret = token(16 + random.nextInt(16));
    switch (random.nextInt(9)) {
      case 0: planted.add(secret); return "Authorization: Bearer " + secret;
      case 1: planted.add(secret); return "Bearer " + secret;
      case 2: {
        String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJ" + secret + "." + token(20);
        planted.add(jwt.substring(jwt.indexOf('.') + 1));
        return jwt;
      }
      case 3: planted.add("ya29." + secret); return "ya29." + secret;
      case 4: {
        String key = "AIza" + token(35);
        planted.add(key);
        return key;
      }
      case 5: {
        planted.add(secret);
        return "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----";
      }
      case 6: planted.add(secret); return "postgres://servo:" + secret + "@db:5432/x";
      case 7: planted.add(secret); return "jdbc:postgresql://db/x?user=u&password=" + secret;
      default: planted.add(secret); return "Host=db;Password=" + secret + ";";
    }
  }

  private String secret() {
    String secret = "S" + token(12 + random.nextInt(10));
    planted.add(secret);
    return secret;
  }

  private String token(int length) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  private SpanContext context() {
    return SpanContext.create(String.format("%016x%016x", random.nextLong() | 1, random.nextLong()),
        String.format("%016x", random.nextLong() | 1), TraceFlags.getSampled(),
        TraceState.getDefault());
  }

  private static String dump(List<SpanData> spans) {
    StringBuilder s = new StringBuilder();
    for (SpanData span : spans) {
      s.append(span.getName()).append('\n');
      s.append(span.getAttributes()).append('\n');
      s.append(span.getStatus().getDescription()).append('\n');
      s.append(span.getResource().getAttributes()).append('\n');
      for (EventData event : span.getEvents()) {
        s.append(event.getName()).append(event.getAttributes()).append('\n');
      }
      for (LinkData link : span.getLinks()) {
        s.append(link.getAttributes()).append('\n');
      }
    }
    return s.toString();
  }
}
