package io.servo.telemetry.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JDBC instrumentation sanitizes a statement's text but records the driver's exception as it
 * is, and databases quote the offending value in their errors: on a database span the values in
 * {@code exception.message} and {@code exception.stacktrace} are replaced like SQL literals.
 */
class DatabaseErrorValuesTest {
  private static final SpanContext CONTEXT = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736",
      "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());
  private static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("exception.message");
  private static final AttributeKey<String> STACKTRACE = AttributeKey.stringKey("exception.stacktrace");

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ERROR: invalid input syntax for type integer: \"sk_live_1\"  Position: 45"
          + " | ERROR: invalid input syntax for type integer: \"?\"  Position: 45",
      "ERROR: duplicate key value violates unique constraint \"users_email\"  Detail: Key (email)=(a@secret.example) already exists."
          + " | ERROR: duplicate key value violates unique constraint \"?\"  Detail: Key (email)=(?) already exists.",
      "ERROR: null value in column \"x\" violates not-null constraint  Detail: Failing row contains (1, sk_live_2, null)."
          + " | ERROR: null value in column \"?\" violates not-null constraint  Detail: Failing row contains (?).",
      "[SQLITE_ERROR] SQL error or missing database (near \"'sk_live_3'\": syntax error)"
          + " | [SQLITE_ERROR] SQL error or missing database (near \"?\": syntax error)",
  })
  void valuesInADatabaseErrorAreRemoved(String message, String expected) {
    SpanData exported = export(span(Attributes.of(AttributeKey.stringKey("db.system.name"), "postgresql",
        AttributeKey.stringKey("db.query.text"), "INSERT INTO t VALUES (?)"), message));

    EventData event = exported.getEvents().get(0);
    assertThat(event.getAttributes().get(MESSAGE)).isEqualTo(expected);
    assertThat(event.getAttributes().get(STACKTRACE)).startsWith("org.postgresql.util.PSQLException: " + expected)
        .contains("\n\tat org.postgresql.Driver.run(Driver.java:1)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ERROR: invalid input syntax for type integer: \"hunter2-SECRET\" | ERROR: invalid input syntax for type integer: \"?\"",
      "ERROR: duplicate key value violates unique constraint \"users_email\""
          + " | ERROR: duplicate key value violates unique constraint \"?\"",
  })
  void aDatabaseSpansStatusDescriptionLosesTheValuesItsErrorQuotes(String description, String expected) {
    SpanData span = TestSpanData.builder().setSpanContext(CONTEXT).setName("SELECT").setKind(SpanKind.CLIENT)
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setAttributes(Attributes.of(AttributeKey.stringKey("db.system.name"), "postgresql"))
        .setStatus(StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, description)).build();

    assertThat(export(span).getStatus().getDescription()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"asset \"a\" failed", "ERROR: no value \"x\""})
  void otherSpansKeepTheirStatusDescriptions(String description) {
    SpanData span = TestSpanData.builder().setSpanContext(CONTEXT).setName("a").setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setAttributes(Attributes.of(AttributeKey.stringKey("servo.asset.name"), "a"))
        .setStatus(StatusData.create(io.opentelemetry.api.trace.StatusCode.ERROR, description)).build();

    assertThat(export(span).getStatus().getDescription()).isEqualTo(description);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"asset \"a\" failed", "ERROR: no value \"x\""})
  void otherSpansKeepTheirExceptionMessages(String message) {
    SpanData exported = export(span(Attributes.of(AttributeKey.stringKey("servo.asset.name"), "a"), message));

    assertThat(exported.getEvents().get(0).getAttributes().get(MESSAGE)).isEqualTo(message);
  }

  private static SpanData span(Attributes attributes, String message) {
    return TestSpanData.builder().setSpanContext(CONTEXT).setName("INSERT t").setKind(SpanKind.CLIENT)
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true).setAttributes(attributes)
        .setEvents(List.of(EventData.create(1, "exception", Attributes.of(MESSAGE, message, STACKTRACE,
            "org.postgresql.util.PSQLException: " + message + "\n\tat org.postgresql.Driver.run(Driver.java:1)"))))
        .setTotalRecordedEvents(1).setStatus(StatusData.error()).build();
  }

  private static SpanData export(SpanData span) {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    RedactingSpanExporter.create(memory, Redactor.defaults()).export(List.of(span));
    return memory.getFinishedSpanItems().get(0);
  }
}
