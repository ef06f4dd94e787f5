package io.servo.testing.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

class OtlpSpanCountTest {
  @Test
  void countsSpansOfEveryScopeOfEveryResource() {
    byte[] span = field(2, new byte[] {0x0a, 0x01, 0x01}); // a Span with a 1-byte trace_id
    byte[] scopeA = concat(field(1, new byte[] {0x0a, 0x01, 'x'}), span, span); // scope + 2 spans
    byte[] scopeB = span;
    byte[] resource = concat(field(1, new byte[0]), field(2, scopeA), field(2, scopeB));
    byte[] request = concat(field(1, resource), field(1, field(2, span)));

    assertThat(OtlpSpanCount.of(request)).isEqualTo(4);
  }

  @Test
  void somethingElseIsNotCounted() {
    assertThat(OtlpSpanCount.of(new byte[] {0x0a, 0x7f})).isEqualTo(-1);
    assertThat(OtlpSpanCount.of(new byte[0])).isZero();
  }

  private static byte[] field(int number, byte[] value) {
    return concat(new byte[] {(byte) (number << 3 | 2), (byte) value.length}, value);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
