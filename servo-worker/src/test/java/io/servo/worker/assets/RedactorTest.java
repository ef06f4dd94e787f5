package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedactorTest {
  @Test
  void replacesEveryOccurrenceOfEveryValue() {
    Redactor redactor = Redactor.of(List.of("s3cr3t-token", "pa55"));
    assertThat(redactor.redact("a s3cr3t-token b pa55 c s3cr3t-token"))
        .isEqualTo("a [REDACTED] b [REDACTED] c [REDACTED]");
  }

  @Test
  void overlappingValuesBecomeOneMark() {
    Redactor redactor = Redactor.of(List.of("abcdef", "defghi"));
    assertThat(redactor.redact("xabcdefghiy")).isEqualTo("x[REDACTED]y");
  }

  @Test
  void emptyValuesRedactNothing() {
    assertThat(Redactor.of(List.of("")).redact("text")).isEqualTo("text");
  }

  @Test
  void tailNeverShowsAFragmentOfAValueCutAtTheBufferStart() {
    String secret = "0123456789SECRET";
    Redactor redactor = Redactor.of(List.of(secret));
    int limit = 8;
    TailBuffer buffer = new TailBuffer(limit + redactor.maxValueBytes());
    // The secret is written, then enough bytes to push part of it out of the ring.
    buffer.write(("xxxx" + secret + "yyyyyyyyyyyy").getBytes(StandardCharsets.UTF_8));
    String tail = buffer.tail(redactor, limit);
    assertThat(tail).doesNotContain("SECRET").doesNotContain("CRET").endsWith("yyyyyyyy");
  }

  @Test
  void tailStartsAtAValueThatStraddlesTheLimit() {
    String secret = "TOPSECRETVALUE";
    Redactor redactor = Redactor.of(List.of(secret));
    TailBuffer buffer = new TailBuffer(10 + redactor.maxValueBytes());
    buffer.write(("head " + secret + "tail").getBytes(StandardCharsets.UTF_8));
    assertThat(buffer.tail(redactor, 10)).isEqualTo("…[REDACTED]tail");
  }

  @Test
  void shortStreamsAreKeptWhole() {
    TailBuffer buffer = new TailBuffer(100);
    buffer.write("hello".getBytes(StandardCharsets.UTF_8));
    assertThat(buffer.tail(Redactor.NONE, 100)).isEqualTo("hello");
  }
}
