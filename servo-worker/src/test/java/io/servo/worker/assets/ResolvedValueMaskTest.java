package io.servo.worker.assets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResolvedValueMaskTest {
  @Test
  void replacesEveryOccurrenceOfEveryValue() {
    ResolvedValueMask mask = ResolvedValueMask.of(List.of("s3cr3t-token", "pa55"));
    assertThat(mask.redact("a s3cr3t-token b pa55 c s3cr3t-token"))
        .isEqualTo("a [REDACTED] b [REDACTED] c [REDACTED]");
  }

  @Test
  void overlappingValuesBecomeOneMark() {
    ResolvedValueMask mask = ResolvedValueMask.of(List.of("abcdef", "defghi"));
    assertThat(mask.redact("xabcdefghiy")).isEqualTo("x[REDACTED]y");
  }

  @Test
  void emptyValuesRedactNothing() {
    assertThat(ResolvedValueMask.of(List.of("")).redact("text")).isEqualTo("text");
  }

  @Test
  void tailNeverShowsAFragmentOfAValueCutAtTheBufferStart() {
    String secret = "0123456789SECRET";
    ResolvedValueMask mask = ResolvedValueMask.of(List.of(secret));
    int limit = 8;
    TailBuffer buffer = new TailBuffer(limit + mask.maxValueBytes());
    // The secret is written, then enough bytes to push part of it out of the ring.
    buffer.write(("xxxx" + secret + "yyyyyyyyyyyy").getBytes(StandardCharsets.UTF_8));
    String tail = buffer.tail(mask, limit);
    assertThat(tail).doesNotContain("SECRET").doesNotContain("CRET").endsWith("yyyyyyyy");
  }

  @Test
  void tailStartsAtAValueThatStraddlesTheLimit() {
    String secret = "TOPSECRETVALUE";
    ResolvedValueMask mask = ResolvedValueMask.of(List.of(secret));
    TailBuffer buffer = new TailBuffer(10 + mask.maxValueBytes());
    buffer.write(("head " + secret + "tail").getBytes(StandardCharsets.UTF_8));
    assertThat(buffer.tail(mask, 10)).isEqualTo("…[REDACTED]tail");
  }

  @Test
  void shortStreamsAreKeptWhole() {
    TailBuffer buffer = new TailBuffer(100);
    buffer.write("hello".getBytes(StandardCharsets.UTF_8));
    assertThat(buffer.tail(ResolvedValueMask.NONE, 100)).isEqualTo("hello");
  }
}
