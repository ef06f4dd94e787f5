package io.servo.telemetry.jdbc;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.semconv.ExceptionAttributes;
import java.util.List;

/**
 * How a statement that failed in a noted skeleton ends if its trace is kept: the ERROR status and
 * the {@code exception} event of its span. One place for the statements seen through a wrapped
 * connection ({@link SkeletonStatement}) and those told by the code that ran them ({@link
 * JdbcTracing#failedStatement}).
 */
record StatementFailure(String type, String message) {
  static StatementFailure of(Throwable error) {
    return new StatementFailure(error.getClass().getName(), String.valueOf(error.getMessage()));
  }

  /** ERROR, described by the message's first line when {@code described}. */
  StatusData status(boolean described) {
    if (!described) {
      return StatusData.error();
    }
    int newline = message.indexOf('\n');
    return StatusData.create(StatusCode.ERROR, newline < 0 ? message : message.substring(0, newline) + " …");
  }

  List<EventData> events(long endEpochNanos) {
    return List.of(EventData.create(endEpochNanos, "exception", Attributes.of(
        ExceptionAttributes.EXCEPTION_TYPE, type, ExceptionAttributes.EXCEPTION_MESSAGE, message)));
  }
}
